// Every call carries the session's token as `authorization: Bearer …`, and an UNAUTHENTICATED
// answer (no token, a wrong, expired or revoked one) is reported to the session, which asks
// the person for a token. The call still fails as it did: its page shows nothing stale.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Session } from "./session";

export function authInterceptor(session: Session): Interceptor {
  return (next) => async (request) => {
    const token = session.token();
    if (token !== null) request.header.set("authorization", `Bearer ${token}`);
    const report = (error: unknown): never => {
      const connect = ConnectError.from(error);
      if (connect.code === Code.Unauthenticated) session.refused(token, connect.rawMessage);
      throw error;
    };
    const response = await next(request).catch(report);
    if (!response.stream) return response;
    // A stream's refusal may come with its end, after the response began.
    const messages = response.message;
    return {
      ...response,
      message: (async function* () {
        try {
          yield* messages;
        } catch (error) {
          report(error);
        }
      })(),
    };
  };
}
