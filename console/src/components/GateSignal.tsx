// A gate's signal in the node panel: what it waits for, who set it and when, and the form
// that sets it (Approve / Reject for an approval, a typed value for wait_for_input). The
// control plane judges the value: its refusal is shown next to the field, and the gate keeps
// waiting.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useClients } from "../api/clients";
import { describeError, isNotFound } from "../api/errors";
import type { ExecutionRef } from "../api/execution";
import { NodePhase } from "../gen/graven/v1/execution_pb";
import type { Literal } from "../gen/graven/v1/literals_pb";
import type { Signal } from "../gen/graven/v1/signal_pb";
import type { LiteralType } from "../gen/graven/v1/types_pb";
import { literalText, typeText } from "../format/literals";
import { isComposite, literalFromText } from "../format/signalValue";
import { dateOf, formatTime } from "../format/time";
import { ProblemMessage } from "./Messages";

const WHO = "graven.user";
const POLL_MS = 2000;

function rememberedName(): string {
  try {
    return localStorage.getItem(WHO) || "console";
  } catch {
    return "console";
  }
}

function remember(name: string): void {
  try {
    localStorage.setItem(WHO, name);
  } catch {
    // Storage may be off; the name is still sent.
  }
}

export const signalKey = (execution: ExecutionRef, signalId: string) => [
  "signal",
  execution.project,
  execution.domain,
  execution.name,
  signalId,
];

const boolLiteral = (value: boolean) => literalFromText(value ? "true" : "false", undefined);

function approvalText(value: Literal | undefined): string {
  const p = value?.value.case === "primitive" ? value.value.value.value : undefined;
  return p?.case === "boolean" ? (p.value ? "approved" : "rejected") : literalText(value);
}

export function GateSignal({
  execution,
  signalId,
  approve,
  type,
  phase,
}: {
  execution: ExecutionRef;
  signalId: string;
  approve: boolean;
  // The type from the spec; the signal's own type wins once it exists.
  type: LiteralType | undefined;
  phase: NodePhase;
}) {
  const clients = useClients();
  const queryClient = useQueryClient();
  const key = signalKey(execution, signalId);
  const signal = useQuery({
    // The phase is in the key: the signal appears when the gate starts.
    queryKey: [...key, phase],
    queryFn: () => clients.signals.getSignal({ id: { executionId: execution, signalId } }),
    retry: false,
    // A running gate's signal may appear a moment after the gate starts, and may be set from
    // elsewhere (`graven approve`): asked again until it holds a value.
    refetchInterval: (q) => (phase === NodePhase.RUNNING && !q.state.data?.signal?.value ? POLL_MS : false),
  });
  const [who, setWho] = useState(rememberedName);
  const [text, setText] = useState("");
  const set = useMutation({
    mutationFn: (value: Literal) => clients.signals.setSignal({ id: { executionId: execution, signalId }, value, setBy: who }),
    onSuccess: (answer) => {
      remember(who);
      queryClient.setQueryData([...key, phase], { signal: answer.signal });
      void queryClient.invalidateQueries({ queryKey: key });
    },
  });

  const held: Signal | undefined = signal.data?.signal;
  const valueType = held?.type ?? type;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate(literalFromText(text, valueType));
  };
  const refusal = set.error ? describeError(set.error).detail : null;
  // The form is for a signal that waits: the gate runs, and the signal holds no value yet.
  const open = phase === NodePhase.RUNNING && held !== undefined && !held.value;

  return (
    <div className="gate" data-testid="gate">
      <dl className="facts">
        <dt>Signal</dt>
        <dd className="mono">{signalId}</dd>
        {!approve && (
          <>
            <dt>Type</dt>
            <dd className="mono">{typeText(valueType)}</dd>
          </>
        )}
        {held?.deadline && (
          <>
            <dt>Deadline</dt>
            <dd>{formatTime(dateOf(held.deadline))}</dd>
          </>
        )}
        {held?.value && (
          <>
            <dt>{approve ? "Decision" : "Value"}</dt>
            <dd data-testid="signal-value">
              {approve ? <strong>{approvalText(held.value)}</strong> : <pre className="value">{literalText(held.value)}</pre>}
            </dd>
            <dt>Set by</dt>
            <dd data-testid="signal-set-by">{held.setBy || "—"}</dd>
            <dt>Set at</dt>
            <dd>{formatTime(dateOf(held.setAt))}</dd>
          </>
        )}
      </dl>
      {signal.error && !isNotFound(signal.error) && <ProblemMessage error={signal.error} />}
      {signal.error && isNotFound(signal.error) && (
        <p className="faint">{phase === NodePhase.QUEUED ? "The gate has not started yet." : "No gate waits for this signal."}</p>
      )}
      {open && (
        <form className="signal-form" onSubmit={submit}>
          <label>
            As
            <input value={who} onChange={(e) => setWho(e.target.value)} aria-label="Set by" />
          </label>
          {approve ? (
            <div className="actions-row">
              <button type="button" className="primary" disabled={set.isPending} onClick={() => set.mutate(boolLiteral(true))}>
                Approve
              </button>
              <button type="button" className="danger" disabled={set.isPending} onClick={() => set.mutate(boolLiteral(false))}>
                Reject
              </button>
            </div>
          ) : (
            <div className="field">
              {isComposite(valueType) ? (
                <textarea
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  aria-label="Value"
                  aria-invalid={refusal !== null}
                  rows={4}
                  placeholder="JSON"
                />
              ) : (
                <input value={text} onChange={(e) => setText(e.target.value)} aria-label="Value" aria-invalid={refusal !== null} placeholder={typeText(valueType)} />
              )}
              <button type="submit" className="primary" disabled={set.isPending}>
                Set
              </button>
            </div>
          )}
          {refusal !== null && (
            <div className="field-error" role="alert" data-testid="signal-error">
              {refusal}
            </div>
          )}
        </form>
      )}
    </div>
  );
}
