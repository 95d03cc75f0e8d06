"""The web portals' shared parts: browser sessions, sign-in, CSRF, templates and
translations. Each portal lives in ``safeharbor/portals/<name>/`` and calls the same
domain services and permission table as the API; nothing here decides a case."""
