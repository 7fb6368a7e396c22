// A stand-in for the application process in ecosystem.config.cjs: it stays up until PM2 stops it
// and tells PM2 it is ready (wait_ready), so `pm2-clean` has something real to restart.
const started = new Date().toISOString();
const timer = setInterval(() => {}, 60_000);
process.stdout.write(`example app up (pid ${process.pid}, started ${started})\n`);
if (process.send) process.send('ready');
process.on('SIGINT', () => {
  clearInterval(timer);
  process.stdout.write('example app stopping\n');
  process.exit(0);
});
