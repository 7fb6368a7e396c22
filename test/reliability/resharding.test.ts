// Resharding during deletes on Redis (see resharding-support.ts).
import { reshardingSuite } from './resharding-support.js';

reshardingSuite('redis-server');
