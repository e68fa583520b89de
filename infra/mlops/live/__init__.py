"""Facts only a live AWS account (or a local emulator) holds: registry state, deployed resources.

`aws` resolves the session, region, endpoint URL and credentials the standard way and maps
botocore failures to errors a user can act on; `registry` reads model package facts for the
gate; `promote`, `deploy` and `verify` are the commands built on them.
"""
