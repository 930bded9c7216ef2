"""(being written)"""


class Parameter:
    pass
