// Load-test shapes. The report is profiler.Report (generated); the request
// and status wrappers mirror app/service_loadtest.go.
import type { LoadConfig, Progress, Report } from './models.gen';

export type LoadTestRun = Report;

/** LoadTestConfig is what the panel submits. */
export interface LoadTestConfig {
  name?: string;
  task: string; // sentiment | entities | analyze
  mode: 'open' | 'closed';
  rate?: number; // open loop: requests/s
  start_rate?: number;
  users?: number; // closed loop
  think_ns?: number;
  ramp_ns?: number;
  duration_ns: number;
  max_requests?: number;
  thresholds?: string[];
  texts?: string[]; // texts to send; empty = built-in sample texts
}

export interface LoadTestStatus {
  id: string;
  state: string; // running | done | failed | cancelled
  config?: LoadConfig;
  progress?: Progress;
  report?: Report;
  error?: string;
}

export interface LoadTestSummary {
  id: string;
  name?: string;
  mode: string;
  task?: string;
  started_at: string;
  elapsed_ns: number;
  requests: number;
  achieved_rate: number;
  p95_ns: number;
  passed: boolean;
  thresholds: number;
}
