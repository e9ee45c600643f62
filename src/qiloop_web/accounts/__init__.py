"""People: the user model, sign-in with lock-out, sign-out and password reset."""
