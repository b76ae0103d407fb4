"""A client written for djoser + simplejwt, as a Python app would write one: the standard library only.

Usage: python3 djoser-client.py http://127.0.0.1:8000 [json|docs|drf-test]
It walks a djoser/simplejwt flow against that server, checking status codes and bodies as a Django
REST Framework client relies on them, prints one JSON line of what it saw, and exits 1 on the first
surprise. Nothing here knows Gatehouse. The flows:
- json (the default): a JSON client of an email-login project, through every base and JWT endpoint;
- docs: djoser's documentation as written, for a project with Django's own User (username login): curl-style
  form bodies, `token/login/` and `Authorization: Token`, then the JWT endpoints with a username;
- drf-test: what a DRF test case sends (APIClient posts multipart by default, encoded as Django's test
  client encodes it), registering and logging in with `jwt/create/` by username.
"""

import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1].rstrip("/")
FLOW = sys.argv[2] if len(sys.argv) > 2 else "json"


class Surprise(Exception):
    pass


def call(method, path, body=None, token=None, scheme="JWT", encoding="json"):
    """One request; returns (status, parsed JSON or None). HTTP errors are answers, not exceptions."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None and encoding == "json":
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    elif body is not None and encoding == "form":
        # what `curl --data 'username=…&password=…'` sends
        data = urllib.parse.urlencode(body).encode("utf-8")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data, headers["Content-Type"] = multipart(body)
    if token is not None:
        # djoser's documentation configures simplejwt with AUTH_HEADER_TYPES = ("JWT",); its token auth is "Token"
        headers["Authorization"] = scheme + " " + token
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode("utf-8")
    return status, (json.loads(text) if text else None)


def multipart(fields):
    """The body and content type DRF's APIClient sends for a dict of strings, byte for byte: Django's
    django.test.client.encode_multipart with its fixed boundary (written out here to need no Django)."""
    boundary = "BoUnDaRyStRiNg"
    lines = []
    for key, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{key}"', "", value]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("utf-8"), f"multipart/form-data; boundary={boundary}"


def expect(what, got, status, body=None):
    got_status, got_body = got
    if got_status != status or (body is not None and got_body != body):
        raise Surprise(f"{what}: expected {status} {body!r}, got {got_status} {got_body!r}")
    return got_body


def docs_flow():
    """djoser's "Sample usage", for a project whose user is Django's own (LOGIN_FIELD username)."""
    name = "djoser" + secrets.token_hex(3)
    password = "alpine-" + secrets.token_hex(4)
    seen = []

    user = expect(
        "register", call("POST", "/auth/users/", {"username": name, "password": password}, encoding="form"), 201
    )
    if user != {"email": "", "username": name, "id": user.get("id")} or not user["id"]:
        raise Surprise(f"register: unexpected body {user!r}")
    seen.append("register by username")
    # djoser's UserSerializer over Django's User with its names among the fields: "" until given
    shown = dict(user, first_name="", last_name="")

    expect("users/me anonymous", call("GET", "/auth/users/me/"), 401, {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"})
    login = expect(
        "token/login",
        call("POST", "/auth/token/login/", {"username": name, "password": password}, encoding="form"),
        200,
    )
    if set(login) != {"auth_token"}:
        raise Surprise(f"token/login: unexpected body {login!r}")
    token = login["auth_token"]
    # the current user carries the roles staff gave the account (none yet), beside djoser's fields
    expect("users/me", call("GET", "/auth/users/me/", token=token, scheme="Token"), 200, dict(shown, roles=[]))
    expect("users list", call("GET", "/auth/users/", token=token, scheme="Token"), 200, [shown])
    expect("user by id", call("GET", f"/auth/users/{user['id']}/", token=token, scheme="Token"), 200, shown)
    seen.append("token/login")

    pair = expect(
        "jwt/create",
        call("POST", "/auth/jwt/create/", {"username": name, "password": password}, encoding="form"),
        200,
    )
    expect("users/me by jwt", call("GET", "/auth/users/me/", token=pair["access"]), 200, dict(shown, roles=[]))
    seen.append("jwt/create by username")

    email = name + "@example.com"
    expect(
        "users/me PATCH email",
        call("PATCH", "/auth/users/me/", {"email": email}, token=token, scheme="Token", encoding="form"),
        200,
        dict(shown, email=email, roles=[]),
    )
    expect(
        "users/me PATCH names",
        call(
            "PATCH",
            "/auth/users/me/",
            {"first_name": " Ada ", "last_name": "Lovelace"},
            token=token,
            scheme="Token",
            encoding="form",
        ),
        200,
        dict(shown, email=email, first_name="Ada", last_name="Lovelace", roles=[]),
    )
    seen.append("users/me PATCH")
    renamed = name + "-renamed"
    expect(
        "set_username",
        call(
            "POST",
            "/auth/users/set_username/",
            {"new_username": renamed, "current_password": password},
            token=token,
            scheme="Token",
            encoding="form",
        ),
        204,
    )
    seen.append("set_username")

    expect("token/logout", call("POST", "/auth/token/logout/", token=token, scheme="Token"), 204)
    status, _ = call("GET", "/auth/users/me/", token=token, scheme="Token")
    if status != 401:
        raise Surprise(f"users/me after token/logout: {status}")
    expect(
        "token/login old name",
        call("POST", "/auth/token/login/", {"username": name, "password": password}, encoding="form"),
        400,
        {"non_field_errors": ["Unable to log in with provided credentials."]},
    )
    seen.append("token/logout")
    return seen


def drf_test_flow():
    """The djoser seed's test: DRF's APIClient posts multipart; jwt/create/ with the username."""
    name = "seed" + secrets.token_hex(3)
    password = "seed-test-" + secrets.token_hex(4)
    email = name + "@example.com"
    seen = []
    user = expect(
        "register",
        call("POST", "/auth/users/", {"username": name, "email": email, "password": password}, encoding="multipart"),
        201,
    )
    if user != {"email": email, "username": name, "id": user.get("id")}:
        raise Surprise(f"register: unexpected body {user!r}")
    seen.append("register multipart")
    pair = expect(
        "jwt/create",
        call("POST", "/auth/jwt/create/", {"username": name, "password": password}, encoding="multipart"),
        200,
    )
    expect(
        "users/me",
        call("GET", "/auth/users/me/", token=pair["access"], scheme="Bearer"),
        200,
        dict(user, first_name="", last_name="", roles=[]),
    )
    expect(
        "jwt/refresh",
        call("POST", "/auth/jwt/refresh/", {"refresh": pair["refresh"]}, encoding="multipart"),
        200,
    )
    seen.append("jwt/create multipart")
    return seen


def main():
    name = "py" + secrets.token_hex(4)
    email = name + "@example.com"
    password = "py-client-" + secrets.token_hex(6)
    seen = []

    user = expect("register", call("POST", "/auth/users/", {"email": email, "username": name, "password": password}), 201)
    if set(user) != {"id", "email", "username"} or user["email"] != email:
        raise Surprise(f"register: unexpected body {user!r}")
    seen.append("register")

    expect(
        "register again",
        call("POST", "/auth/users/", {"email": email.upper(), "username": name + "x", "password": password}),
        400,
        {"email": ["user with this email address already exists."]},
    )
    expect(
        "register without fields",
        call("POST", "/auth/users/", {}),
        400,
        {k: ["This field is required."] for k in ("email", "username", "password")},
    )
    seen.append("register errors")

    pair = expect("jwt/create", call("POST", "/auth/jwt/create/", {"email": email, "password": password}), 200)
    access, refresh = pair["access"], pair["refresh"]
    expect(
        "jwt/create wrong password",
        call("POST", "/auth/jwt/create/", {"email": email, "password": password + "x"}),
        401,
        {"detail": "No active account found with the given credentials", "code": "no_active_account"},
    )
    seen.append("jwt/create")

    # the current user carries the roles staff gave the account (none yet), beside djoser's fields
    me = dict(user, first_name="", last_name="", roles=[])
    expect("users/me", call("GET", "/auth/users/me/", token=access), 200, me)
    expect("users/me anonymous", call("GET", "/auth/users/me/"), 401, {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"})
    seen.append("users/me")

    expect("jwt/verify", call("POST", "/auth/jwt/verify/", {"token": access}), 200, {})
    expect(
        "jwt/verify garbage",
        call("POST", "/auth/jwt/verify/", {"token": "garbage"}),
        401,
        {"detail": "Token is invalid or expired", "code": "token_not_valid"},
    )
    seen.append("jwt/verify")

    rotated = expect("jwt/refresh", call("POST", "/auth/jwt/refresh/", {"refresh": refresh}), 200)
    if rotated["refresh"] == refresh:
        raise Surprise("jwt/refresh: the refresh token was not rotated")
    access, refresh = rotated["access"], rotated["refresh"]
    expect("users/me after refresh", call("GET", "/auth/users/me/", token=access), 200, me)
    seen.append("jwt/refresh")

    renamed = dict(me, username=name + "-renamed")
    expect("users/me PATCH", call("PATCH", "/auth/users/me/", {"username": renamed["username"]}, token=access), 200, renamed)
    seen.append("users/me PATCH")

    new_password = "py-client-new-" + secrets.token_hex(6)
    expect(
        "set_password wrong current",
        call("POST", "/auth/users/set_password/", {"new_password": new_password, "current_password": "nope-nope"}, token=access),
        400,
        {"current_password": ["Invalid password."]},
    )
    expect(
        "set_password",
        call("POST", "/auth/users/set_password/", {"new_password": new_password, "current_password": password}, token=access),
        204,
    )
    expect("jwt/create new password", call("POST", "/auth/jwt/create/", {"email": email, "password": new_password}), 200)
    seen.append("set_password")

    expect("delete me", call("DELETE", "/auth/users/me/", {"current_password": new_password}, token=access), 204)
    status, body = call("GET", "/auth/users/me/", token=access)
    if status != 401 or body.get("code") != "token_not_valid":
        raise Surprise(f"users/me after delete: {status} {body!r}")
    expect(
        "jwt/create after delete",
        call("POST", "/auth/jwt/create/", {"email": email, "password": new_password}),
        401,
        {"detail": "No active account found with the given credentials", "code": "no_active_account"},
    )
    seen.append("delete me")
    return seen


if __name__ == "__main__":
    try:
        steps = {"json": main, "docs": docs_flow, "drf-test": drf_test_flow}[FLOW]()
        print(json.dumps({"ok": True, "steps": steps}))
    except Surprise as surprise:
        print(json.dumps({"ok": False, "error": str(surprise)}))
        sys.exit(1)
