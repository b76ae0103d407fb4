"""Writes src/accounts/attribute-similarity.cases.ts: what real Django (Debian's python3-django) says of
passwords against a user's username and email, for the unit test of attribute-similarity.ts.

Run with /usr/bin/python3 from the repository root; the output is committed, so the test needs no Python."""
import difflib
import json
import sys

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=['django.contrib.auth', 'django.contrib.contenttypes'],
    DATABASES={},
    USE_I18N=False,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.contrib.auth.password_validation import UserAttributeSimilarityValidator  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402

USERS = [
    ('dave', 'dave@example.com'),
    ('alice', 'alice.smith@example.com'),
    ('bo', 'bo@example.com'),
    ('jean-luc_picard', 'jl.picard+work@starfleet.example'),
    ('Zoë', 'zoë.müller@beispiel.de'),
    ('x', 'x@y.io'),
    ('averyveryverylongusername', 'someone@example.com'),
    ('alice', ''),
]
PASSWORDS = [
    'dave has a long pass 9', 'dave1234', 'davedave', 'Dave@example', 'example.com1',
    'alice-in-wonderland', 'alice123', 'ALICE.SMITH', 'smith-alice', 'alicesmith1', 'correct horse battery staple',
    'bobobobo', 'bo@example.com', 'b', 'picard-jean-luc', 'jeanluc!', 'starfleet', 'Starfleet.example',
    'zoë müller', 'ZOËZOËZOË', 'müller99', 'xxxxxxxxxx', 'x', 'y.io', 'averyveryverylong',
    'usernamelongveryvery', 'someone1', 'some one', 'example', 'moc.elpmaxe', '😀dave😀', 'ＤＡＶＥ1234',
    'a' * 40, 'dave' + 'z' * 36, 'password', 'jl.picard', 'workwork',
]
RATIO_PAIRS = [
    ('abcd', 'bcde'), ('dave has a long pass 9', 'dave'), ('', ''), ('a', ''), ('zoë', 'zoe'),
    ('😀😀x', '😀x'), ('aaaa', 'aa'), ('the quick brown fox', 'the lazy dog'),
]

validator = UserAttributeSimilarityValidator()
verdicts = []
for username, email in USERS:
    user = User(username=username, email=email)
    for password in PASSWORDS:
        try:
            validator.validate(password, user)
            verdict = None
        except ValidationError as error:
            verdict = error.messages[0]
        verdicts.append({'password': password, 'username': username, 'email': email, 'refusal': verdict})
ratios = [
    {'a': a, 'b': b, 'quickRatio': difflib.SequenceMatcher(a=a, b=b).quick_ratio()} for a, b in RATIO_PAIRS
]

out = sys.stdout
out.write('// Written by scripts/django-similarity-cases.py with Django %s: do not edit by hand.\n' % django.__version__)
out.write('// What UserAttributeSimilarityValidator (max_similarity 0.7) says of each password for each user,\n')
out.write("// and difflib's quick_ratio for some pairs; a refusal is Django's English message, null when accepted.\n\n")
out.write('export const djangoVerdicts: ReadonlyArray<{\n  password: string;\n  username: string;\n  email: string;\n  refusal: string | null;\n}> = ')
out.write(json.dumps(verdicts, ensure_ascii=False, indent=2))
out.write(';\n\nexport const difflibQuickRatios: ReadonlyArray<{ a: string; b: string; quickRatio: number }> = ')
out.write(json.dumps(ratios, ensure_ascii=False, indent=2))
out.write(';\n')
