/** The Conduit bodies as the tests read them back. */
export interface UserBody {
  user: { email: string; username: string; bio: string | null; image: string | null; token: string };
}

export interface ProfileBody {
  profile: { username: string; bio: string | null; image: string | null; following: boolean };
}

export interface ErrorBody {
  errors: Record<string, string[]>;
}

export const missingToken = { errors: { token: ['is missing'] } };
export const invalidToken = { errors: { token: ['is invalid or expired'] } };
export const invalidCredentials = { errors: { 'email or password': ['is invalid'] } };
