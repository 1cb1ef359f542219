hv: inv-host
gv_web: inv-host
