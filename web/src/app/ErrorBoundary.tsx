/** Keeps a failure in one part of the page from blanking the whole app. */
import { Component, type ErrorInfo, type ReactNode } from "react";
import { isChunkError, reloadForChunk } from "./chunks";

interface Props {
  children: ReactNode;
  /** When it changes (another page), the boundary forgets the error and tries again. */
  resetKey?: string;
}

interface State {
  error: Error | null;
  reloading: boolean;
}

export class ErrorBoundary extends Component<Props, State> {
  state: State = { error: null, reloading: false };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  componentDidCatch(error: unknown, info: ErrorInfo): void {
    if (isChunkError(error)) {
      // A chunk of an older build, or a server that was away: a reload usually brings it.
      if (reloadForChunk()) this.setState({ reloading: true });
      return;
    }
    console.error(error, info.componentStack);
  }

  componentDidUpdate(previous: Props): void {
    if (previous.resetKey !== this.props.resetKey && this.state.error)
      this.setState({ error: null });
  }

  private retry = (): void => {
    // A lazy component remembers its failed import: only a reload asks for the chunk again.
    if (isChunkError(this.state.error)) window.location.reload();
    else this.setState({ error: null });
  };

  render(): ReactNode {
    const { error, reloading } = this.state;
    if (!error) return this.props.children;
    const chunk = isChunkError(error);
    return (
      <main className="page">
        <div className="error-note" role="alert">
          <p>
            {reloading
              ? "Loading a newer version of Tasklane…"
              : chunk
                ? "This part of Tasklane did not load. The server may have restarted or been updated."
                : "Something went wrong on this page."}
          </p>
          {!reloading && (
            <button type="button" onClick={this.retry}>
              Try again
            </button>
          )}
        </div>
      </main>
    );
  }
}
