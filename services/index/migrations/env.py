from services.kernel.migrations import run_env

run_env()
