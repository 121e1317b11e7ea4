# The container engine of build_image.sh and test_container.sh (sourced, not run):
# $DOCKER if set, else podman (with the flags that work on these machines), else a
# docker whose engine answers. Sets the array ENGINE and the string ENGINE_NAME.
# shellcheck shell=bash

container_engine() {
    if [[ -n ${DOCKER:-} ]]; then
        ENGINE=("$DOCKER")
    elif command -v podman >/dev/null 2>&1; then
        # vfs storage and runc: what works in this unprivileged, nested environment.
        ENGINE=(podman --storage-driver vfs --runtime runc)
    elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        ENGINE=(docker)
    else
        return 1
    fi
    ENGINE_NAME=$(basename "${ENGINE[0]}")
    export ENGINE_NAME
}

# `run` flags for the engine: podman here needs raised ulimits.
engine_run_flags() {
    if [[ $ENGINE_NAME == podman ]]; then
        printf '%s\n' --ulimit nofile=20000:20000 --ulimit nproc=32768:32768
    fi
}
