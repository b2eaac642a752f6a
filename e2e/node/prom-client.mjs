// The prometheus-query npm client (https://github.com/samber/prometheus-query-js) against the query API's
// Prometheus-compatible API, as a JavaScript dashboard would use it. Run by PrometheusApiIT:
//
//   PROM_TOKEN=<jwt> node prom-client.mjs http://127.0.0.1:<port> '<selector>' <time s> <start s> <end s> <step s>
//
// Prints one JSON object: what the client parsed from each endpoint (times as Unix seconds), and the error it reports
// for an unsupported expression. Basic auth with the JWT as password, as a Grafana data source sends it.
import { PrometheusDriver } from 'prometheus-query';

const [endpoint, selector, time, start, end, step] = process.argv.slice(2);
const prom = new PrometheusDriver({
  endpoint,
  baseURL: '/prometheus/api/v1',
  auth: { username: 'dashboard', password: process.env.PROM_TOKEN },
  timeout: 10000,
});
const sec = (d) => d.getTime() / 1000;
const sample = (v) => ({ time: sec(v.time), value: v.value });
const series = (m) => ({ name: m.name, labels: m.labels });

const instant = await prom.instantQuery(selector, Number(time) * 1000);
const range = await prom.rangeQuery(selector, Number(start) * 1000, Number(end) * 1000, Number(step));
const out = {
  instant: instant.result.map((r) => ({ ...series(r.metric), value: sample(r.value) })),
  range: range.result.map((r) => ({ ...series(r.metric), values: r.values.map(sample) })),
  series: (await prom.series(selector, Number(start) * 1000, Number(end) * 1000)).map(series),
  labelNames: await prom.labelNames(),
  databaseIds: await prom.labelValues('database_id'),
  metadata: await prom.metadata(),
  rules: await prom.rules(),
  alerts: await prom.alerts(),
};
try {
  await prom.instantQuery('rate(dbmetrics_connections[5m])');
  out.unsupported = 'accepted';
} catch (e) {
  // the client reports an HTTP error as http_error and keeps Prometheus' own envelope in `prometheus`
  out.unsupported = { httpStatus: e.httpStatus, errorType: e.prometheus?.errorType ?? e.errorType, error: e.error };
}
process.stdout.write(JSON.stringify(out) + '\n');
