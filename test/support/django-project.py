"""Makes a throwaway Django project's database with real Django, for the import-django tests.

usage: /usr/bin/python3 django-project.py <folder> <auth|conduit> <secret key> <token exp, epoch s>

Writes <folder>/django.sqlite3 (Django's own `migrate`, then users made through Django's ORM and password
hashers) and prints, as JSON, what each user should become and the tokens the old system would have issued.
`auth` is Django's default user (auth_user); `conduit` the custom user of the Conduit tutorial
(authentication_user: email login, username, no names, created_at). Nothing here is written by hand but the
list of users: every hash is Django's, every token PyJWT's (what drf-jwt, simplejwt and the tutorial use).
"""
import base64
import hashlib
import json
import os
import sys
import textwrap
import unicodedata
import uuid
from datetime import datetime, timedelta, timezone

folder, mode, secret_key, token_exp = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, folder)

if mode == "conduit":
    # the tutorial's app, as its chapter writes it (authentication/models.py), trimmed of its token method
    os.makedirs(os.path.join(folder, "authentication"), exist_ok=True)
    open(os.path.join(folder, "authentication", "__init__.py"), "w").close()
    with open(os.path.join(folder, "authentication", "models.py"), "w") as models:
        models.write(textwrap.dedent('''
            from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
            from django.db import models

            class UserManager(BaseUserManager):
                pass

            class User(AbstractBaseUser, PermissionsMixin):
                username = models.CharField(db_index=True, max_length=255, unique=True)
                email = models.EmailField(db_index=True, unique=True)
                is_active = models.BooleanField(default=True)
                is_staff = models.BooleanField(default=False)
                created_at = models.DateTimeField(auto_now_add=True)
                updated_at = models.DateTimeField(auto_now=True)
                USERNAME_FIELD = 'email'
                REQUIRED_FIELDS = ['username']
                objects = UserManager()
        '''))

import django
from django.conf import settings

settings.configure(
    SECRET_KEY=secret_key,
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"]
    + (["authentication"] if mode == "conduit" else []),
    AUTH_USER_MODEL="authentication.User" if mode == "conduit" else "auth.User",
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(folder, "django.sqlite3")}},
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.BCryptPasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ],
)
django.setup()

import argon2
import jwt
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import Argon2PasswordHasher, BasePasswordHasher, check_password, get_hasher, make_password
from django.core.management import call_command
from django.utils.crypto import constant_time_compare


class Argon2iPasswordHasher(Argon2PasswordHasher):
    """Django's argon2 hasher as releases before 3.2 configured it: argon2i."""

    def params(self):
        parameters = super().params()
        parameters.type = argon2.low_level.Type.I
        return parameters


class ScryptPasswordHasher(BasePasswordHasher):
    """Django 4.0's ScryptPasswordHasher (django/contrib/auth/hashers.py), which Debian's Django 3.2 lacks."""

    algorithm = "scrypt"
    block_size = 8
    maxmem = 0
    parallelism = 1
    work_factor = 2**14

    def encode(self, password, salt, n=None, r=None, p=None):
        n = n or self.work_factor
        r = r or self.block_size
        p = p or self.parallelism
        hash_ = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=self.maxmem, dklen=64)
        hash_ = base64.b64encode(hash_).decode("ascii").strip()
        return "%s$%d$%s$%d$%d$%s" % (self.algorithm, n, salt, r, p, hash_)

    def verify(self, password, encoded):
        algorithm, n, salt, r, p, hash_ = encoded.split("$", 6)
        return constant_time_compare(encoded, self.encode(password, salt, int(n), int(r), int(p)))


call_command("migrate", verbosity=0, run_syncdb=True)
User = get_user_model()
now = datetime.now(timezone.utc)

hashers = {
    "pbkdf2_sha256": get_hasher("pbkdf2_sha256"),
    "pbkdf2_sha1": get_hasher("pbkdf2_sha1"),
    "argon2id": get_hasher("argon2"),
    "argon2i": Argon2iPasswordHasher(),
    "bcrypt_sha256": get_hasher("bcrypt_sha256"),
    "bcrypt": get_hasher("bcrypt"),
    "scrypt": ScryptPasswordHasher(),
    "md5": get_hasher("md5"),
}

people = []


def add(key, email, username, hasher, expect, password=None, **fields):
    """A user as Django makes one; `expect` is what the importer should do with it."""
    password = password or "pw-%s-%s" % (key, uuid.uuid4().hex[:10])
    extra = {"email": email, "username": username, "is_active": fields.get("is_active", True),
             "is_staff": fields.get("is_staff", False)}
    if mode == "auth":
        extra["first_name"] = fields.get("first_name", "")
        extra["last_name"] = fields.get("last_name", "")
        extra["is_superuser"] = fields.get("is_superuser", False)
    user = User(**extra)
    if hasher == "unusable":
        user.set_unusable_password()
    else:
        user.password = make_password(password, hasher=hashers[hasher])
        # the hash is Django's and Django accepts it: a fixture that could not sign in proves nothing
        assert check_password(password, user.password) if hasher not in ("argon2i", "scrypt") else \
            hashers[hasher].verify(password, user.password)
    if "last_login" in fields:
        user.last_login = fields["last_login"]
    user.save()
    people.append({"key": key, "id": user.pk, "email": email, "username": username, "password": password,
                   "hasher": hasher, "expect": expect, "isActive": extra["is_active"],
                   "isStaff": extra["is_staff"], "isSuperuser": extra.get("is_superuser", False),
                   "firstName": extra.get("first_name") or None, "lastName": extra.get("last_name") or None,
                   "storedHash": user.password})


suffix = "conduit" if mode == "conduit" else "auth"
for hasher in ["pbkdf2_sha256", "pbkdf2_sha1", "argon2id", "argon2i", "bcrypt_sha256", "bcrypt", "scrypt"]:
    add(hasher, "%s.%s@example.com" % (hasher, suffix), "%s_%s" % (hasher, suffix), hasher, "imported",
        first_name="Ada", last_name="Lovelace" if hasher == "pbkdf2_sha256" else "")
add("staff", "staff.%s@example.com" % suffix, "staff_%s" % suffix, "pbkdf2_sha256", "imported", is_staff=True,
    is_superuser=True)
add("inactive", "inactive.%s@example.com" % suffix, "inactive_%s" % suffix, "pbkdf2_sha256", "inactive",
    is_active=False)
add("unusable", "unusable.%s@example.com" % suffix, "unusable_%s" % suffix, "unusable", "must_reset")
add("md5", "md5.%s@example.com" % suffix, "md5_%s" % suffix, "md5", "must_reset")
add("plus", "plus.%s@example.com" % suffix, "first.last+%s@site" % suffix, "pbkdf2_sha256", "renamed")
add("invalid", "not-an-email-%s" % suffix, "invalid_%s" % suffix, "pbkdf2_sha256", "invalid_email")
if mode == "auth":
    # Django's default user makes neither the email unique nor any case of it, and allows none at all
    add("dup_old", "Dup.%s@Example.com" % suffix, "dup_old_%s" % suffix, "pbkdf2_sha256", "duplicate_email",
        last_login=now - timedelta(days=30))
    add("dup_new", "dup.%s@example.com" % suffix, "dup_new_%s" % suffix, "pbkdf2_sha256", "imported",
        last_login=now - timedelta(days=1))
    add("noemail", "", "noemail_%s" % suffix, "pbkdf2_sha256", "username_only", first_name="Linus")
    # Django hashes the password as typed: a ligature and full-width letters, which NFKC would change
    nfkc = "pw-\ufb01ne-\uff30\uff37-%s" % uuid.uuid4().hex[:10]
    assert unicodedata.normalize("NFKC", nfkc) != nfkc
    add("nfkc", "nfkc.%s@example.com" % suffix, "nfkc_%s" % suffix, "pbkdf2_sha256", "imported", password=nfkc)
    # a second user with Django's blank email: no address is nobody's, so the two do not collide
    add("noemail2", "", "noemail2_%s" % suffix, "bcrypt_sha256", "username_only")
    # neither email nor username (Django allows one such row): imported as user-<id>
    add("nameless", "", "", "pbkdf2_sha256", "username_only")
    # collisions between rows far apart, so that small batches split them: a username Django holds in
    # another case (its unique index is case-sensitive; Gatehouse's is not), an address with surrounding
    # spaces (a duplicate, once trimmed), and one with a trailing tab (equal only once the importer trims it)
    add("twin", "twin.%s@example.com" % suffix, "PBKDF2_SHA256_%s" % suffix.upper(), "pbkdf2_sha256", "renamed")
    add("spaced", " staff.%s@example.com " % suffix, "spaced_%s" % suffix, "pbkdf2_sha256", "duplicate_email")
    add("tabbed", "pbkdf2_sha1.%s@example.com\t" % suffix, "tabbed_%s" % suffix, "pbkdf2_sha256", "email_taken")

subject = next(person for person in people if person["key"] == "pbkdf2_sha256")
user = User.objects.get(pk=subject["id"])
tokens = {
    # the Conduit tutorial's User._generate_jwt_token
    "conduit": jwt.encode({"id": user.pk, "exp": token_exp}, secret_key, algorithm="HS256"),
    # drf-jwt's jwt_payload_handler
    "drfJwt": jwt.encode({"user_id": user.pk, "username": user.get_username(), "exp": token_exp,
                          "email": user.email, "orig_iat": int(now.timestamp())}, secret_key, algorithm="HS256"),
    # simplejwt's AccessToken
    "simplejwt": jwt.encode({"token_type": "access", "exp": token_exp, "iat": int(now.timestamp()),
                             "jti": uuid.uuid4().hex, "user_id": user.pk}, secret_key, algorithm="HS256"),
    "simplejwtRefresh": jwt.encode({"token_type": "refresh", "exp": token_exp, "iat": int(now.timestamp()),
                                    "jti": uuid.uuid4().hex, "user_id": user.pk}, secret_key, algorithm="HS256"),
    "otherKey": jwt.encode({"id": user.pk, "exp": token_exp}, secret_key + "-not", algorithm="HS256"),
}
others = {p["key"]: jwt.encode({"id": p["id"], "exp": token_exp}, secret_key, algorithm="HS256") for p in people}
# a second token per user (drf-jwt's), for tests that need one never presented before
unseen = {p["key"]: jwt.encode({"user_id": p["id"], "username": p["username"], "exp": token_exp},
                               secret_key, algorithm="HS256") for p in people}
print(json.dumps({"table": "authentication_user" if mode == "conduit" else "auth_user",
                  "database": os.path.join(folder, "django.sqlite3"), "users": people, "tokens": tokens,
                  "tokensByUser": others, "unseenTokensByUser": unseen, "django": django.get_version()}))
