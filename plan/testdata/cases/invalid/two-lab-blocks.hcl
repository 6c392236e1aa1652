# error at line 3: a second lab block
lab "x" {}
lab "y" {}
