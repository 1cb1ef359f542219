#!/bin/sh
echo "Welcome to $(hostname) - managed by flock"
