import { Link, useLocation } from "react-router";
import { Problem } from "../components/Messages";

export function NotFoundPage() {
  const { pathname } = useLocation();
  return (
    <Problem title="No such page">
      Nothing lives at <span className="mono">{pathname}</span>. <Link to="/executions">Go to the executions</Link>.
    </Problem>
  );
}
