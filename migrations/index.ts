import { InitialSchema1764200000000 } from './1764200000000-initial-schema';
import { EndpointQueues1764300000000 } from './1764300000000-endpoint-queues';
import { PortalSessions1764400000000 } from './1764400000000-portal-sessions';
import { DeliveryFailures1764500000000 } from './1764500000000-delivery-failures';
import { RetentionMarks1764600000000 } from './1764600000000-retention-marks';
import { AscendingLogIndexes1764700000000 } from './1764700000000-ascending-log-indexes';
import { PayloadPartitions1764800000000 } from './1764800000000-payload-partitions';
import { WorkerLiveness1764900000000 } from './1764900000000-worker-liveness';
import { HistoryPartitions1765000000000 } from './1765000000000-history-partitions';

/** Every migration, in order. Listed explicitly so the same array works from ts and from dist. */
export const ALL_MIGRATIONS = [InitialSchema1764200000000, EndpointQueues1764300000000, PortalSessions1764400000000, DeliveryFailures1764500000000, RetentionMarks1764600000000, AscendingLogIndexes1764700000000, PayloadPartitions1764800000000, WorkerLiveness1764900000000, HistoryPartitions1765000000000];
