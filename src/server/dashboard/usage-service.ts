// dashboard.usage.v1.UsageService: events per project and day of the caller's org (the boundary checked the
// org_id and membership), from the rollup's rows; never a scan of the events.

import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { usagePeriod } from "../../domain/usage/usage-period.ts";
import type { UsageService } from "../../gen/dashboard/usage/v1/usage_pb.ts";
import { orgUsage } from "../../store/usage-days.ts";
import { orgOf } from "../auth/caller.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";

export function usageService(deps: DashboardDeps): ServiceImpl<typeof UsageService> {
  return {
    async getUsage(request, ctx) {
      const period = usagePeriod(request.range, Date.now());
      const usage = await orgUsage(deps.sql, orgOf(ctx).orgId, period.firstDay, period.endDay);
      return {
        usedEvents: usage.computed ? usage.days.reduce((sum, day) => sum + day.eventCount, 0n) : undefined,
        periodStart: timestampFromMs(period.fromMs),
        periodEnd: timestampFromMs(period.toMs),
        usageComputedAt: usage.computedAt && timestampFromDate(usage.computedAt),
        daily: usage.days.map((day) => ({ day: timestampFromMs(Date.parse(`${day.day}T00:00:00Z`)), projectId: day.projectId, eventCount: day.eventCount })),
      };
    },
  };
}
