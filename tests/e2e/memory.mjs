// Memory figures for the browser benches: the resident memory of a launched Chromium's renderer
// processes (from /proc; Linux only) and the machine's load average.

import { readFileSync, readdirSync } from 'node:fs';

/** Children (recursively) of process `pid`, from /proc/<pid>/task/<tid>/children. */
function descendants(pid) {
  const out = [];
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop();
    let kids = [];
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        kids = kids.concat(readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      continue;
    }
    out.push(...kids);
    todo.push(...kids);
  }
  return out;
}

/**
 * Resident bytes of the renderer processes of the browsers this node process launched (the
 * page and its Worker live there; launch one page at a time for a per-tab figure), or null
 * where /proc cannot tell. `rendererRss.count` is then the number of renderer processes summed and
 * `rendererRss.largest` the largest one's RSS (the tab's, with one page open).
 */
export function rendererRss() {
  let total = 0;
  let found = 0;
  let largest = 0;
  for (const pid of descendants(process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer')) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) {
        total += Number(m[1]) * 1024;
        largest = Math.max(largest, Number(m[1]) * 1024);
        found++;
      }
    } catch {
      // gone meanwhile
    }
  }
  rendererRss.count = found;
  rendererRss.largest = largest;
  return found ? total : null;
}

/** The 1/5/15-minute load averages, as text ("?" where unknown). */
export function loadAvg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}
