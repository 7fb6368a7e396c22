// PM2 ecosystem for cachectl. Only options PM2 supports: PM2 drops unknown keys without a word
// (there is no `pre_restart`; cache work before a restart goes through `cachectl hook ...`).
// Check this file with `cachectl schedule` (it lints the apps and shows the next cron runs).
//
// Notes that matter at 2 AM:
// - `cron_restart` also starts the app once at `pm2 start`; the one-shot apps below then run
//   on their schedule. PM2 evaluates cron in the PM2 daemon's local time zone.
// - A script that exits needs `autorestart: false`, or PM2 restarts it in a loop.
// - `kill_timeout` is the SIGINT -> SIGKILL gap (PM2 default 1600 ms). cachectl stops after the
//   batch in hand on SIGINT, releases its lock and writes its run record; give it time to.
// - PM2 has no "disabled" flag: the Prometheus exporter app below is only in `apps` when
//   CACHECTL_EXPORTER=1 is set for the pm2 command (see docs/monitoring.md).

// Prometheus exporter (`cachectl exporter`): serves /metrics on loopback for a Prometheus on this
// host. Disabled by default; start it with
//   CACHECTL_EXPORTER=1 pm2 start ecosystem.config.cjs --only cache_exporter
const exporterApp = {
  name: 'cache_exporter',
  script: './bin/cachectl.js',
  args: 'exporter --listen 127.0.0.1:9479 --log-format json',
  autorestart: true,
  max_restarts: 10,
  restart_delay: 2000,
  // It stops within a second on SIGINT (the refresh step in hand is ~10 ms).
  kill_timeout: 5000,
  out_file: './logs/cache-exporter-out.log',
  error_file: './logs/cache-exporter-error.log',
  log_file: './logs/cache-exporter-combined.log',
  time: true,
};

const ecosystem = {
  apps: [
    {
      // Example application process (replace with your API server).
      name: 'whatsapp_api',
      script: './examples/app.js',
      wait_ready: true,
      listen_timeout: 10000,
      kill_timeout: 5000,
      out_file: './logs/whatsapp-api-out.log',
      error_file: './logs/whatsapp-api-error.log',
      time: true,
    },
    {
      // Daily maintenance: clear-old per family, clean finished queue jobs, trim event streams,
      // stats snapshot. Locked in Redis, so a manual run or a second host never overlaps it.
      name: 'cache_maintenance',
      script: './bin/cachectl.js',
      args: 'maintenance --log-format json',
      cron_restart: '0 2 * * *',
      autorestart: false,
      kill_timeout: 30000,
      out_file: './logs/cache-maintenance-out.log',
      error_file: './logs/cache-maintenance-error.log',
      log_file: './logs/cache-maintenance-combined.log',
      time: true,
    },
    {
      // Weekly deep cleanup: entries idle for more than a week.
      name: 'cache_cleanup',
      script: './bin/cachectl.js',
      args: 'clear-old --hours 168 --yes --log-format json',
      cron_restart: '0 3 * * 0',
      autorestart: false,
      kill_timeout: 30000,
      out_file: './logs/cache-cleanup-out.log',
      error_file: './logs/cache-cleanup-error.log',
      log_file: './logs/cache-cleanup-combined.log',
      time: true,
    },
    {
      // Long-running invalidation consumer (`cachectl listen`): turns invalidation events into
      // deletions. On SIGINT it finishes the batch in hand within its --stop-timeout (default
      // 1.2 s), well inside kill_timeout.
      name: 'cache_listener',
      script: './bin/cachectl.js',
      args: 'listen --log-format json --stop-timeout 8s',
      autorestart: true,
      max_restarts: 10,
      restart_delay: 2000,
      kill_timeout: 10000,
      out_file: './logs/cache-listener-out.log',
      error_file: './logs/cache-listener-error.log',
      log_file: './logs/cache-listener-combined.log',
      time: true,
    },
    ...(process.env.CACHECTL_EXPORTER === '1' ? [exporterApp] : []),
  ],

  deploy: {
    production: {
      user: 'deploy',
      host: ['app.example.com'],
      ref: 'origin/main',
      repo: 'git@example.com:org/app.git',
      path: '/srv/app',
      // Runs on the machine that deploys: back up and clear the clearOnDeploy families.
      'pre-deploy-local': 'npx cachectl hook pre-deploy',
      // Runs on the server after the code is in place: clear them again for the fresh release,
      // then reload the processes.
      'post-deploy': 'npm ci && npx cachectl hook deploy && pm2 reload ecosystem.config.cjs',
    },
  },
};

// Scripts are found next to this file, so `pm2 start <folder>/ecosystem.config.cjs` works from any
// folder, in a checkout or an installed package. The rest stays relative to the folder `pm2 start`
// runs in: cachectl reads its config from there, and PM2 writes ./logs there. Copied into your
// app, change ./bin/cachectl.js below to ./node_modules/cachectl/bin/cachectl.js.
for (const app of ecosystem.apps) app.script = `${__dirname}/${app.script.replace(/^\.\//, '')}`;

module.exports = ecosystem;
