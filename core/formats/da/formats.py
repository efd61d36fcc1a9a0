"""Danish date formats of the pages: "15. mar. 2006" (Django's ``b``: the month abbreviated in lower case;
``M`` capitalises and is wrong in Danish). ISO dates stay in exports, the API and inputs."""
DATE_FORMAT = "j. b. Y"
DATETIME_FORMAT = "j. b. Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j. b."
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
