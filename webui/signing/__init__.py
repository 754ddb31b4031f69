"""Signing without an account: a case's party opens its single-use link and decides one sign-off."""
