// PM2 ecosystem for cachectl. Only options PM2 supports: PM2 silently drops unknown keys.
// The maintenance, cleanup and listener apps are filled in by the unattended-operation work;
// for now the file holds the daily maintenance slot so `pm2 start ecosystem.config.cjs` is valid.
module.exports = {
  apps: [
    {
      name: 'cache_maintenance',
      script: './bin/cachectl.js',
      args: 'ping --quiet',
      cron_restart: '0 2 * * *',
      autorestart: false,
      out_file: './logs/cache-maintenance-out.log',
      error_file: './logs/cache-maintenance-error.log',
      log_file: './logs/cache-maintenance-combined.log',
      time: true,
    },
  ],
};
