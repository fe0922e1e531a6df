import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The functions runtime's Prometheus metrics, registered on the platform's registry. */
export function createFunctionMetrics(registry: Registry) {
  return {
    executions: new Counter({
      name: 'stratus_function_executions_total',
      help: 'Function executions by function, trigger and status (succeeded, failed, timeout)',
      labelNames: ['function', 'trigger', 'status'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'stratus_function_duration_seconds',
      help: 'Function execution duration by function and trigger',
      labelNames: ['function', 'trigger'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'stratus_function_errors_total',
      help: 'Function executions that failed or timed out, by function',
      labelNames: ['function', 'status'] as const,
      registers: [registry],
    }),
    coldStarts: new Counter({
      name: 'stratus_function_cold_starts_total',
      help: 'Invocations that had to build a new isolate, by function',
      labelNames: ['function'] as const,
      registers: [registry],
    }),
    coldStartDuration: new Histogram({
      name: 'stratus_function_cold_start_seconds',
      help: 'Time to build an isolate and load a function version',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    triggerLag: new Histogram({
      name: 'stratus_function_trigger_lag_seconds',
      help: 'Time from an event being committed to a function handler starting on it',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'stratus_function_dead_letters_total',
      help: 'Events that exhausted their attempts, by function',
      labelNames: ['function'] as const,
      registers: [registry],
    }),
    droppedRecords: new Counter({
      name: 'stratus_function_dropped_execution_records_total',
      help: 'HTTP execution records dropped because the database could not keep up',
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'stratus_queue_depth',
      help: 'Queue messages by queue and state (waiting, delayed, in_flight, dead)',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
    }),
  }
}

export type FunctionMetrics = ReturnType<typeof createFunctionMetrics>
