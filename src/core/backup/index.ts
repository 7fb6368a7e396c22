/**
 * Backup and restore: a binary-safe, streamed file of DUMP payloads (docs/backup.md).
 */
export { backup, type BackupOptions, type BackupProgress, type BackupSummary } from './backup.js';
export { backupToDirectory, type DirectoryBackupOptions, type DirectoryBackupSummary } from './directory.js';
export { BackupFormatError, BackupIncompatibleError } from './errors.js';
export type { BackupHeader, BackupRecord, BackupSource } from './format.js';
export { restore, type RestoreOptions, type RestorePlan, type RestoreProgress, type RestoreResult, type TtlMode } from './restore.js';
export type { BackupTarget } from './select.js';
export { openBackupSink, type BackupSink, type BackupSinkMeta, type CaptureFn, type CapturedEntry } from './sink.js';
export { verifyBackup, type BackupInfo } from './verify.js';
