import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

export function dateOf(ts: Timestamp | undefined): Date | null {
  if (!ts || (ts.seconds === 0n && ts.nanos === 0)) return null;
  return timestampDate(ts);
}

const pad = (n: number) => String(n).padStart(2, "0");

// Local time, to the second: what a person compares with their own clock.
export function formatTime(date: Date | null): string {
  if (!date) return "—";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// From start to finish, or to now while it runs.
export function elapsed(start: Date | null, finish: Date | null, now: number = Date.now()) {
  if (!start) return null;
  return (finish ? finish.getTime() : now) - start.getTime();
}

// A datetime-local input's value (local time) to a Date, or null when empty or invalid.
export function parseLocal(value: string): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
