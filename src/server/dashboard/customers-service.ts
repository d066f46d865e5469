// dashboard.customers.v1.CustomersService: the signed-in person themself. Who that is comes from the auth
// boundary; an account deleted since its token was issued is treated as signed out. Setting a password ends every
// other session of the person: their refresh families are revoked, and access tokens issued before the change are
// refused by the boundary (the caller's own session refreshes, its family kept). Replacing a password needs a
// recent sign-in, so a stolen access token cannot change it and lock the owner out.

import type { ServiceImpl } from "@connectrpc/connect";
import { passwordProblem } from "../../domain/auth/password.ts";
import { FieldError } from "../../domain/field-error.ts";
import type { CustomersService } from "../../gen/dashboard/customers/v1/customers_pb.ts";
import { customerById, setPasswordHash } from "../../store/customers.ts";
import { familyStartedWithin, revokeOtherFamilies } from "../../store/refresh-tokens.ts";
import { signedInOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";
import { passwordWork } from "./password-checks.ts";

/** How long after signing in a session may replace the password. */
export const PASSWORD_CHANGE_WITHIN_MINUTES = 10;

const gone = () => new ConnectError("this account no longer exists; sign in again", Code.Unauthenticated);

export function customersService(deps: DashboardDeps): ServiceImpl<typeof CustomersService> {
  return {
    async getMe(_, ctx) {
      const customer = await customerById(deps.sql, signedInOf(ctx).customerId);
      if (!customer) throw gone();
      return { customerId: customer.id, email: customer.email, emailVerified: customer.emailVerified };
    },

    async setPassword(request, ctx) {
      const problem = passwordProblem(request.password);
      if (problem) throw new FieldError("password", problem);
      const { customerId, sessionId } = signedInOf(ctx);
      const customer = await customerById(deps.sql, customerId);
      if (!customer) throw gone();
      // A token without a session id cannot show when its session started.
      if (customer.passwordHash !== null && (sessionId === undefined || !(await familyStartedWithin(deps.sql, customerId, sessionId, PASSWORD_CHANGE_WITHIN_MINUTES)))) {
        throw new ConnectError(`changing a password needs a recent sign-in: sign in again, then change it within ${PASSWORD_CHANGE_WITHIN_MINUTES} minutes`, Code.FailedPrecondition);
      }
      const hash = await passwordWork.hash(request.password);
      // To the second, as tokens count their issue time: the caller's refreshed token (issued from now on) passes.
      const sessionsValidAfter = new Date(Math.floor(Date.now() / 1000) * 1000);
      await deps.sql.begin(async (tx) => {
        if (!(await setPasswordHash(tx, customerId, hash, sessionsValidAfter))) throw gone();
        await revokeOtherFamilies(tx, customerId, sessionId);
      });
      return {};
    },
  };
}
