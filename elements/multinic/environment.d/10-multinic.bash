# Which multinic goes into the image: DIB_MULTINIC_BINARY (the single executable, `npm run
# sea`) or DIB_MULTINIC_BUNDLE (build/multinic.cjs, `npm run bundle`; the image gets the
# distribution's nodejs). DIB_MULTINIC_MODE follows from which one is set.
if [ -n "${DIB_MULTINIC_BINARY:-}" ]; then
    export DIB_MULTINIC_MODE=binary
elif [ -n "${DIB_MULTINIC_BUNDLE:-}" ]; then
    export DIB_MULTINIC_MODE=bundle
else
    export DIB_MULTINIC_MODE=none
fi
# Enable multinic.service in the image (1), or only install it (0).
export DIB_MULTINIC_ENABLE=${DIB_MULTINIC_ENABLE:-1}
