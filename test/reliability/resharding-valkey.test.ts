// Resharding during deletes on Valkey (see resharding-support.ts).
import { reshardingSuite } from './resharding-support.js';

reshardingSuite('valkey-server');
