// dashboard.customers.v1.CustomersService: the signed-in person themself. Who that is comes from the auth
// boundary; an account deleted since its token was issued is treated as signed out. Setting a password ends every
// other session of the person (a token without a session id ends them all), so whoever else held one is out.

import type { ServiceImpl } from "@connectrpc/connect";
import { hashPassword, passwordProblem } from "../../domain/auth/password.ts";
import { FieldError } from "../../domain/field-error.ts";
import type { CustomersService } from "../../gen/dashboard/customers/v1/customers_pb.ts";
import { customerById, setPasswordHash } from "../../store/customers.ts";
import { revokeOtherFamilies } from "../../store/refresh-tokens.ts";
import { signedInOf } from "../auth/caller.ts";
import { Code, ConnectError } from "../connect-errors.ts";
import type { DashboardDeps } from "./dashboard-deps.ts";

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
      const hash = await hashPassword(request.password);
      await deps.sql.begin(async (tx) => {
        if (!(await setPasswordHash(tx, customerId, hash))) throw gone();
        await revokeOtherFamilies(tx, customerId, sessionId);
      });
      return {};
    },
  };
}
