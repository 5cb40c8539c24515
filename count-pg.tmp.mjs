import pg from 'pg';
const counts = new Map();
const orig = pg.Client.prototype.query;
pg.Client.prototype.query = function (q, ...rest) {
  if (globalThis.__countPg) {
  const text = typeof q === 'string' ? q : q?.text ?? String(q);
  const values = (typeof q === 'object' && q?.values) || (Array.isArray(rest[0]) ? rest[0] : []);
  const size = JSON.stringify(values ?? []).length;
  const key = text.replace(/\s+/g,' ').slice(0, 70);
  const c = counts.get(key) || [0, 0]; c[0]++; c[1] += size; counts.set(key, c);
  const t0 = process.hrtime.bigint(); const r = orig.call(this, q, ...rest); const dt = Number(process.hrtime.bigint() - t0) / 1e6; c[2] = (c[2]||0) + dt; return r;
  }
  return orig.call(this, q, ...rest);
};
process.on('exit', () => { for (const [k, v] of [...counts].sort((a,b)=>b[1][0]-a[1][0]).slice(0, 25)) console.log(v[0], 'avgbytes', Math.round(v[1]/v[0]), 'sync ms total', v[2].toFixed(0), k); });
