#!/usr/bin/env bash
# Post-processing of generated CRDs (kept empty unless controller-gen cannot express something).
set -euo pipefail
exit 0
