// A workflow that uses every construct of the workflow language, with the nested node
// executions the data plane reports for it, built with the generated schemas.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ExecutionMode, ExecutionPhase, ExecutionSpecSchema, NodePhase, type Execution } from "../gen/graven/v1/execution_pb";
import { ResourceType } from "../gen/graven/v1/identifier_pb";
import { SimpleType } from "../gen/graven/v1/types_pb";
import {
  ComparisonOperator,
  WorkflowSchema,
  type BindingDataSchema,
  type NodeSchema,
  type Workflow,
} from "../gen/graven/v1/workflow_pb";
import { execution, node } from "./fixtures";

type NodeInit = MessageInitShape<typeof NodeSchema>;
type BindingInit = MessageInitShape<typeof BindingDataSchema>;

const scope = { project: "demo", domain: "development" };
export const taskId = (name: string) => ({ resourceType: ResourceType.TASK, ...scope, name: `ml.${name}`, version: "t1" });
export const trainId = { resourceType: ResourceType.WORKFLOW, ...scope, name: "ml.train", version: "w1" };
export const deployId = { resourceType: ResourceType.LAUNCH_PLAN, ...scope, name: "ml.deploy", version: "l1" };

export const promise = (nodeId: string, outputName = "o0"): BindingInit => ({
  value: { case: "promise", value: { nodeId, outputName } },
});
const input = (name: string): BindingInit => ({ value: { case: "workflowInput", value: name } });
const float = (value: number): BindingInit => ({
  value: { case: "literal", value: { value: { case: "primitive", value: { value: { case: "floatValue", value } } } } },
});

const taskNode = (id: string, task: string, inputs: Record<string, BindingInit>): NodeInit => ({
  id,
  inputs: Object.entries(inputs).map(([name, binding]) => ({ name, binding })),
  target: { case: "taskNode", value: { taskId: taskId(task) } },
});

// The subworkflow: fit, then evaluate.
export function train(): Workflow {
  return create(WorkflowSchema, {
    id: trainId,
    spec: {
      template: {
        nodes: [
          taskNode("n0", "fit", { features: input("features") }),
          taskNode("n1", "evaluate", { model: promise("n0") }),
        ],
      },
    },
  });
}

// split → map(feature) → score → branch(score > 0.5: promote, else: retrain) and
// train (subworkflow) → approve("publish") → deploy (launch plan); wait_for_input
// ("threshold") → sleep, after the approval; cleanup on failure.
export function language(): Workflow {
  return create(WorkflowSchema, {
    id: { resourceType: ResourceType.WORKFLOW, ...scope, name: "ml.pipeline", version: "v1" },
    spec: {
      template: {
        nodes: [
          taskNode("n0", "split", { corpus: input("corpus") }),
          {
            id: "n1",
            inputs: [{ name: "shard", binding: promise("n0") }],
            target: { case: "arrayNode", value: { taskId: taskId("feature"), mappedInputs: ["shard"], concurrency: 2, minSuccessRatio: 0.5 } },
          },
          taskNode("n2", "score", { features: promise("n1") }),
          {
            id: "n3",
            metadata: { name: "quality" },
            target: {
              case: "branchNode",
              value: {
                cases: [
                  {
                    condition: { expression: { case: "comparison", value: { operator: ComparisonOperator.GT, left: promise("n2"), right: float(0.5) } } },
                    thenNode: taskNode("n4", "promote", { score: promise("n2") }),
                  },
                ],
                otherwise: { case: "elseNode", value: taskNode("n5", "retrain", { score: promise("n2") }) },
              },
            },
          },
          {
            id: "n6",
            inputs: [{ name: "features", binding: promise("n1") }],
            target: { case: "workflowNode", value: { reference: { case: "subWorkflowId", value: trainId } } },
          },
          {
            id: "n7",
            inputs: [{ name: "value", binding: promise("n6", "o0") }],
            target: { case: "gateNode", value: { condition: { case: "approve", value: { signalId: "publish" } } } },
          },
          {
            id: "n8",
            inputs: [{ name: "model", binding: promise("n7") }],
            target: { case: "workflowNode", value: { reference: { case: "launchPlanId", value: deployId } } },
          },
          {
            id: "n9",
            target: {
              case: "gateNode",
              value: { condition: { case: "signal", value: { signalId: "threshold", type: { type: { case: "simple", value: SimpleType.FLOAT } } } } },
            },
          },
          {
            id: "n10",
            upstreamNodeIds: ["n9", "n7"],
            target: { case: "gateNode", value: { condition: { case: "sleep", value: { seconds: 30n } } } },
          },
        ],
        failureNode: taskNode("on-failure", "cleanup", { error: { value: { case: "workflowError", value: true } } }),
      },
    },
    closure: { subWorkflows: [train()] },
  });
}

// A run of it: the branch took its first case, two map elements succeeded and one failed,
// the subworkflow finished, the approval waits.
export function languageRun() {
  const child = (id: string, parent: string, phase: NodePhase) => node(id, phase, { parentNodeId: parent });
  return [
    node("n0", NodePhase.SUCCEEDED),
    node("n1", NodePhase.SUCCEEDED),
    child("n1/2", "n1", NodePhase.FAILED),
    child("n1/0", "n1", NodePhase.SUCCEEDED),
    child("n1/10", "n1", NodePhase.SUCCEEDED),
    node("n2", NodePhase.SUCCEEDED),
    node("n3", NodePhase.SUCCEEDED),
    child("n3/n4", "n3", NodePhase.SUCCEEDED),
    child("n3/n5", "n3", NodePhase.SKIPPED),
    node("n6", NodePhase.SUCCEEDED),
    child("n6/n0", "n6", NodePhase.SUCCEEDED),
    child("n6/n1", "n6", NodePhase.SUCCEEDED),
    node("n7", NodePhase.RUNNING),
    node("n8", NodePhase.QUEUED, { childExecutionId: { ...scope, name: "e1-n8" } }),
  ];
}

export function languageExecution(): Execution {
  const made = execution("e1", ExecutionPhase.RUNNING);
  made.spec!.workflowId = language().id;
  return made;
}

export function childExecution(): Execution {
  const made = execution("e1-n8", ExecutionPhase.SUCCEEDED);
  made.spec = create(ExecutionSpecSchema, {
    workflowId: { resourceType: ResourceType.WORKFLOW, ...scope, name: "ml.deploy_wf", version: "d1" },
    mode: ExecutionMode.CHILD,
    parentNodeExecution: { executionId: { ...scope, name: "e1" }, nodeId: "n8" },
  });
  return made;
}
