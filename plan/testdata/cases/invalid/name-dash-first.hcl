# error at line 3: a jail name starting with a dash
lab "x" {}
jail "-a" {}
