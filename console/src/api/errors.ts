// What a failed call means to a person: the server's own message (it names the field or
// the missing thing), led by a short title for its code.
import { Code, ConnectError } from "@connectrpc/connect";

export type Problem = { title: string; detail: string; code: Code | null };

const TITLES: Partial<Record<Code, string>> = {
  [Code.NotFound]: "Not found",
  [Code.InvalidArgument]: "Invalid request",
  [Code.FailedPrecondition]: "Not possible now",
  [Code.AlreadyExists]: "Already exists",
  [Code.ResourceExhausted]: "Too large",
  [Code.Unavailable]: "Control plane unreachable",
  [Code.Unimplemented]: "Not available on this server",
  [Code.PermissionDenied]: "Not allowed with this token",
  [Code.Unauthenticated]: "Sign-in needed",
  [Code.Internal]: "Server error",
};

export function describeError(error: unknown): Problem {
  const connect = ConnectError.from(error);
  return {
    title: TITLES[connect.code] ?? "Request failed",
    detail: connect.rawMessage || String(error),
    code: connect.code,
  };
}

export function isNotFound(error: unknown): boolean {
  return ConnectError.from(error).code === Code.NotFound;
}

export function isPermissionDenied(error: unknown): boolean {
  return ConnectError.from(error).code === Code.PermissionDenied;
}

// Asking again cannot change a refusal of the token (the sign-in page or the refusal shows at
// once instead of after the retries' back-off); anything else may be passing.
const FINAL = new Set([Code.Unauthenticated, Code.PermissionDenied]);

export function shouldRetry(failures: number, error: unknown): boolean {
  return failures < 3 && !FINAL.has(ConnectError.from(error).code);
}
