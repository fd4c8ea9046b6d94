// Small protobuf values for the tests, built with the generated schemas.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ExecutionPhase,
  ExecutionSchema,
  NodeExecutionSchema,
  NodePhase,
  type Execution,
  type NodeExecution,
} from "../gen/graven/v1/execution_pb";
import { ResourceType } from "../gen/graven/v1/identifier_pb";
import { LiteralSchema, type Literal } from "../gen/graven/v1/literals_pb";
import { WorkflowSchema, type Workflow } from "../gen/graven/v1/workflow_pb";

export const T0 = Date.UTC(2026, 10, 25, 18, 0, 0);

export function execution(name: string, phase: ExecutionPhase): Execution {
  return create(ExecutionSchema, {
    id: { project: "demo", domain: "development", name },
    spec: {
      workflowId: { resourceType: ResourceType.WORKFLOW, project: "demo", domain: "development", name: "wf.pipeline", version: "v1" },
    },
    closure: { phase, createdAt: timestampFromMs(T0), startedAt: timestampFromMs(T0), finishedAt: timestampFromMs(T0 + 1500) },
  });
}

// ``fields`` replace the defaults, so a test can also unset one (startedAt: undefined).
export function node(nodeId: string, phase: NodePhase, fields: MessageInitShape<typeof NodeExecutionSchema> = {}): NodeExecution {
  const overrides = create(NodeExecutionSchema, fields) as unknown as Record<string, unknown>;
  const made = defaultNode(nodeId, phase) as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) made[key] = overrides[key];
  return made as unknown as NodeExecution;
}

function defaultNode(nodeId: string, phase: NodePhase): NodeExecution {
  return create(NodeExecutionSchema, {
    id: { executionId: { project: "demo", domain: "development", name: "e1" }, nodeId },
    taskId: { resourceType: ResourceType.TASK, project: "demo", domain: "development", name: `wf.${nodeId}`, version: "t1" },
    phase,
    startedAt: timestampFromMs(T0),
    finishedAt: timestampFromMs(T0 + 500),
  });
}

export function intLiteral(value: number): Literal {
  return create(LiteralSchema, {
    value: { case: "primitive", value: { value: { case: "integer", value: BigInt(value) } } },
    hash: `sha256:${"ab".repeat(32)}`,
  });
}

const promise = (nodeId: string) => ({ value: { case: "promise" as const, value: { nodeId, outputName: "o0" } } });

// extract → [clean_a, clean_b] → join, where join takes a list of both.
export function pipeline(): Workflow {
  const task = (name: string) => ({ resourceType: ResourceType.TASK, project: "demo", domain: "development", name: `wf.${name}`, version: "t1" });
  return create(WorkflowSchema, {
    id: { resourceType: ResourceType.WORKFLOW, project: "demo", domain: "development", name: "wf.pipeline", version: "v1" },
    spec: {
      template: {
        nodes: [
          { id: "extract", target: { case: "taskNode", value: { taskId: task("extract") } } },
          { id: "clean_a", inputs: [{ name: "rows", binding: promise("extract") }], target: { case: "taskNode", value: { taskId: task("clean") } } },
          { id: "clean_b", inputs: [{ name: "rows", binding: promise("extract") }], target: { case: "taskNode", value: { taskId: task("clean") } } },
          {
            id: "join",
            inputs: [
              {
                name: "parts",
                binding: { value: { case: "collection", value: { bindings: [promise("clean_a"), promise("clean_b")] } } },
              },
            ],
            upstreamNodeIds: ["extract"],
            target: { case: "taskNode", value: { taskId: task("join") } },
          },
        ],
      },
    },
  });
}

export { ExecutionPhase, NodePhase };
