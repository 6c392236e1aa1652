# error at line 3: an attribute at the top of the file
lab "x" {}
name = "x"
