import { randomBytes } from 'node:crypto';

/** A registered user and the Conduit token registration returned. */
export interface BenchUser {
  email: string;
  password: string;
  token: string;
}

interface UserBody {
  user: { token: string };
}

/** Registers `count` users through POST /api/users, `concurrency` at a time. */
export async function registerUsers(url: string, count: number, concurrency: number): Promise<BenchUser[]> {
  const run = randomBytes(4).toString('hex');
  const users: BenchUser[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const index = next;
      next += 1;
      const email = `bench-${run}-${index}@example.com`;
      const password = randomBytes(18).toString('base64url');
      const response = await fetch(`${url}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: { email, username: `bench_${run}_${index}`, password } }),
      });
      if (response.status !== 201) throw new Error(`registration answered ${response.status}`);
      const body = (await response.json()) as UserBody;
      users.push({ email, password, token: body.user.token });
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return users;
}
