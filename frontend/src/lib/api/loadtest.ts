// Load-test shapes, generated from app/service_loadtest.go and profiler's
// Report (see models.gen.ts); the names the UI uses.
import type { Report } from './models.gen';

export type { LoadTestConfig, LoadTestStatus, LoadTestSummary, LoadTestComparison } from './models.gen';

/** A saved run's full report. */
export type LoadTestRun = Report;
