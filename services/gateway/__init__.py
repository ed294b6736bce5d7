"""The HTTPS/JSON gateway for provincial platforms (R25)."""
