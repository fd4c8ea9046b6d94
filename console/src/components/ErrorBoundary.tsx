// A bug in a page shows a message and a way out, never a blank page.
import { Component, type ReactNode } from "react";

type State = { error: Error | null };

export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  render() {
    if (this.state.error) {
      return (
        <div className="problem" role="alert">
          <h2>This page failed to draw</h2>
          <p className="mono">{this.state.error.message}</p>
          <p>
            <a href="/executions">Go to the executions</a> or reload the page.
          </p>
        </div>
      );
    }
    return this.props.children;
  }
}
