/** Kubernetes resource quantities ("250m", "1.5", "512Mi", "1Gi") and durations ("5m", "1h30m"). */

export function cpuMillis(quantity: string | undefined): number {
  if (!quantity) return 0;
  if (quantity.endsWith("m")) return Number.parseFloat(quantity) || 0;
  return Math.round((Number.parseFloat(quantity) || 0) * 1000);
}

const MEMORY_UNITS: Record<string, number> = {
  Ki: 1 / 1024,
  Mi: 1,
  Gi: 1024,
  Ti: 1024 * 1024,
  K: 1000 / 1024 / 1024,
  M: 1_000_000 / 1024 / 1024,
  G: 1_000_000_000 / 1024 / 1024,
};

export function memoryMi(quantity: string | undefined): number {
  if (!quantity) return 0;
  const match = /^([\d.]+)([KMGT]i?)?$/.exec(quantity.trim());
  if (!match) return 0;
  const unit = match[2] ? (MEMORY_UNITS[match[2]] ?? 0) : 1 / 1024 / 1024;
  return Math.round(Number.parseFloat(match[1] ?? "0") * unit);
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or undefined when the text is not a duration. */
export function durationMs(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+)([smhd])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text.trim()) return undefined;
  return parts.reduce((total, part) => total + Number(part[1]) * (DURATION_UNITS[part[2] ?? "s"] ?? 0), 0);
}

/** kubectl's AGE column: "45s", "12m", "5h", "3d". */
export function age(createdAt: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - createdAt) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 3 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

export function iso(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z");
}
