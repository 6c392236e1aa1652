# error at line 3: a jail name that is all digits
lab "x" {}
jail "123" {}
