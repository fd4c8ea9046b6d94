import { Navigate, Route, Routes, useLocation } from "react-router";
import { useSession } from "./api/sessionContext";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Layout } from "./components/Layout";
import { EntitiesPage } from "./pages/EntitiesPage";
import { EntityPage } from "./pages/EntityPage";
import { ExecutionPage } from "./pages/ExecutionPage";
import { ExecutionsPage } from "./pages/ExecutionsPage";
import { LineagePage } from "./pages/LineagePage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { SignInPage } from "./pages/SignInPage";

export function App() {
  const { pathname } = useLocation();
  const { state } = useSession();
  // The page asked for stays in the address: once signed in, it is drawn again.
  if (state.prompt !== null) return <SignInPage prompt={state.prompt} />;
  return (
    <Layout>
      <ErrorBoundary key={pathname}>
      <Routes>
        <Route path="/" element={<Navigate to="/executions" replace />} />
        <Route path="/executions" element={<ExecutionsPage />} />
        <Route path="/executions/:project/:domain/:name" element={<ExecutionPage />} />
        <Route path="/workflows" element={<EntitiesPage kind="workflows" key="workflows" />} />
        <Route path="/workflows/:project/:domain/:name" element={<EntityPage kind="workflows" key="workflows" />} />
        <Route path="/tasks" element={<EntitiesPage kind="tasks" key="tasks" />} />
        <Route path="/tasks/:project/:domain/:name" element={<EntityPage kind="tasks" key="tasks" />} />
        <Route path="/lineage" element={<LineagePage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
      </ErrorBoundary>
    </Layout>
  );
}
