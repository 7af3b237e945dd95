#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Installs every build and test dependency of flamesamp from Debian packages
# (and playwright-core from npm for the browser test).  Run as root, or it
# re-runs itself with sudo.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi

packages=(
	# build
	make gcc pkg-config
	# BPF programs: clang -target bpf, bpftool gen skeleton
	clang bpftool
	libelf-dev libdw-dev libdebuginfod-dev libbpf-dev libcapstone-dev
	zlib1g-dev libjson-c-dev libprotobuf-c-dev protobuf-c-compiler libiberty-dev liblzma-dev
	libsqlite3-dev
	# flamesamp top and the process picker
	libncurses-dev
	# tests
	libcmocka-dev libxml2-utils python3 chromium golang-go g++
	# the http plugin (libcurl; openssl makes the TLS test certificate)
	libcurl4-openssl-dev openssl
	# the top tests drive the terminal UI in tmux (send-keys, capture-pane)
	tmux
	# separate debug files (objcopy, strip, xz) and libc's, for the symbolizer tests
	binutils xz-utils libc6-dbg
	# make bench (bpftrace: the off-CPU overhead peer)
	time bpftrace
	# addr2line peers of the symbolize tests and bench (eu-addr2line, llvm-addr2line-14)
	elfutils llvm-14
	# make format / make lint
	clang-format cppcheck
	# make fuzz (clang's libFuzzer and sanitizer runtimes)
	libclang-rt-14-dev
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

# Node.js drives Chromium in the browser test (and makes .cpuprofile files).
# Keep a Node.js that is already installed (it may not be Debian's).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ -f tests/browser/package.json ]; then
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
echo "dependencies installed"
