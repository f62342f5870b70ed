/* Compiled forms of two of the loaders' hot paths:
 *
 * - parse_simple: the simple reader of ekstwin.loaders.simpleyaml (below);
 * - list_under_keys: the walk that tells kubernetes.sanitize whether a
 *   document has anything to redact, and str_map, kubernetes.fields' reading
 *   of a labels or annotations mapping (at the end of the file).
 *
 * The simple reader of ekstwin.loaders.simpleyaml, compiled.
 *
 * It reads the same subset of YAML, by the same rules, into the same values,
 * and records the same lines: simpleyaml.py is the definition and this is a
 * faster spelling of it (tests/loaders/test_simpleyaml.py runs both against
 * libyaml and against each other). Whatever the Python reader refuses, this
 * one refuses too, with the NotSimple exception the module is given, so the
 * caller reads that document with libyaml.
 *
 * The text is read as UTF-8. Every character with a meaning here is ASCII, so
 * bytes and characters differ only in a few length limits, which count
 * characters as Python does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Deeper documents go to libyaml (the Python reader stops at its recursion limit). */
#define MAX_DEPTH 200
/* libyaml takes keys of at most 1,024 characters; this reader, fewer. */
#define MAX_KEY 1000

static PyObject *NotSimple = NULL;

typedef struct {
    Py_ssize_t indent;
    const char *s; /* the content: no indent, no trailing blanks */
    Py_ssize_t len;
    long number; /* 1-based line in the file */
} Row;

typedef struct {
    Row *rows;
    Py_ssize_t n;
    PyObject *cache;   /* dict: plain scalar text -> value */
    PyObject *resolve; /* callable for a text not in the cache */
    PyObject *lines;   /* dict or NULL */
    PyObject *pointers; /* dict or NULL: one object for each pointer of a file */
    int ascii;         /* the text is ASCII: bytes are characters */
    int depth;
    char resolved[128]; /* first characters of the plain texts resolve may change */
} Reader;

/* A Python-level IndexError or a refusal: the caller reads the document with libyaml. */
static void *
refuse(const char *why)
{
    PyErr_SetString(NotSimple, why);
    return NULL;
}

static int
refuse_int(const char *why)
{
    PyErr_SetString(NotSimple, why);
    return -1;
}

static PyObject *
text_of(Reader *r, const char *s, Py_ssize_t len)
{
    if (r->ascii)
        return PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, s, len);
    return PyUnicode_DecodeUTF8(s, len, "strict");
}

/* Characters in the first len bytes of s. */
static Py_ssize_t
chars(Reader *r, const char *s, Py_ssize_t len)
{
    if (r->ascii)
        return len;
    Py_ssize_t count = 0;
    for (Py_ssize_t k = 0; k < len; k++)
        if (((unsigned char)s[k] & 0xC0) != 0x80)
            count++;
    return count;
}

/* The code point at s[at] (s holds valid UTF-8), or -1 past the end. */
static long
code_point(const char *s, Py_ssize_t len, Py_ssize_t at)
{
    if (at >= len)
        return -1;
    unsigned char c = (unsigned char)s[at];
    if (c < 0x80)
        return c;
    if (c < 0xE0)
        return ((long)(c & 0x1F) << 6) | (s[at + 1] & 0x3F);
    if (c < 0xF0)
        return ((long)(c & 0x0F) << 12) | ((long)(s[at + 1] & 0x3F) << 6) | (s[at + 2] & 0x3F);
    return ((long)(c & 0x07) << 18) | ((long)(s[at + 1] & 0x3F) << 12) |
           ((long)(s[at + 2] & 0x3F) << 6) | (s[at + 3] & 0x3F);
}

/* Python's str.isspace() of the character at s[at] (\s in a str pattern). */
static int
space_at(const char *s, Py_ssize_t len, Py_ssize_t at)
{
    long cp = code_point(s, len, at);
    return cp >= 0 && Py_UNICODE_ISSPACE((Py_UCS4)cp);
}

static int
is_indicator(char c)
{
    return c != 0 && strchr("-?:,[]{}#&*!|>'\"%@`", c) != NULL;
}

static int
is_quote(char c)
{
    return c == '\'' || c == '"';
}

static int
is_bracket(char c)
{
    return c == '[' || c == '{';
}

/* Stops a plain scalar inside a flow collection. */
static int
is_flow_stop(char c)
{
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == ':' || c == '#';
}

static Py_ssize_t
find2(const char *s, Py_ssize_t len, char a, char b)
{
    for (Py_ssize_t k = 0; k + 1 < len; k++)
        if (s[k] == a && s[k + 1] == b)
            return k;
    return -1;
}

static int
seq_item(const char *s, Py_ssize_t len)
{
    return s[0] == '-' && (len == 1 || s[1] == ' ');
}

/* Nothing but blanks, or blanks then a comment, from at on. */
static int
tail_is_blank(const char *s, Py_ssize_t len, Py_ssize_t at)
{
    Py_ssize_t k = at;
    while (k < len && s[k] == ' ')
        k++;
    return k >= len || (s[k] == '#' && k > at);
}

/* A quoted scalar starting at s[at]: its value, and *end after its closing quote. */
static PyObject *
quoted(Reader *r, const char *s, Py_ssize_t len, Py_ssize_t at, Py_ssize_t *end)
{
    if (s[at] == '"') {
        const char *close = memchr(s + at + 1, '"', (size_t)(len - at - 1));
        if (close == NULL || memchr(s + at + 1, '\\', (size_t)(close - s - at - 1)) != NULL)
            return refuse("escape or line break in a double-quoted scalar");
        *end = close - s + 1;
        return text_of(r, s + at + 1, close - s - at - 1);
    }
    Py_ssize_t close = -1, doubled = 0;
    for (Py_ssize_t k = at + 1; k < len; k++) {
        if (s[k] == '\'') {
            if (k + 1 < len && s[k + 1] == '\'') {
                doubled = 1;
                k++;
                continue;
            }
            close = k;
            break;
        }
    }
    if (close < 0)
        return refuse("line break in a single-quoted scalar");
    *end = close + 1;
    PyObject *value = text_of(r, s + at + 1, close - at - 1);
    if (value == NULL || !doubled)
        return value;
    PyObject *two = PyUnicode_FromString("''");
    PyObject *one = PyUnicode_FromString("'");
    PyObject *out = (two && one) ? PyUnicode_Replace(value, two, one, -1) : NULL;
    Py_XDECREF(two);
    Py_XDECREF(one);
    Py_DECREF(value);
    return out;
}

/* The value of a plain scalar's text: the cache's, else resolve's. New reference. */
static PyObject *
plain(Reader *r, const char *s, Py_ssize_t len)
{
    PyObject *text = text_of(r, s, len);
    if (text == NULL)
        return NULL;
    PyObject *got = PyDict_GetItemWithError(r->cache, text);
    if (got != NULL) { /* one object for each text of a file: less memory, faster lookups */
        Py_DECREF(text);
        Py_INCREF(got);
        return got;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(text);
        return NULL;
    }
    if (len > 0 && ((unsigned char)s[0] >= 128 || !r->resolved[(int)s[0]])) {
        /* a text no implicit type starts with is its own value */
        if (PyDict_SetItem(r->cache, text, text) < 0) {
            Py_DECREF(text);
            return NULL;
        }
        return text;
    }
    got = PyObject_CallOneArg(r->resolve, text);
    Py_DECREF(text);
    return got;
}

static int
set_line(Reader *r, PyObject *ptr, long number)
{
    PyObject *value = PyLong_FromLong(number);
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(r->lines, ptr, value);
    Py_DECREF(value);
    return rc;
}

/* ptr + "/" + the len bytes at tail (ASCII both), without a format string's cost. */
static PyObject *
ascii_join(PyObject *ptr, const char *tail, Py_ssize_t len)
{
    Py_ssize_t head = PyUnicode_GET_LENGTH(ptr);
    PyObject *out = PyUnicode_New(head + 1 + len, 127);
    if (out == NULL)
        return NULL;
    Py_UCS1 *data = PyUnicode_1BYTE_DATA(out);
    memcpy(data, PyUnicode_1BYTE_DATA(ptr), (size_t)head);
    data[head] = '/';
    memcpy(data + head + 1, tail, (size_t)len);
    return out;
}

/* The pointer of a sequence's item: ptr + "/" + index. */
static PyObject *
index_pointer(PyObject *ptr, Py_ssize_t index)
{
    if (PyUnicode_IS_ASCII(ptr)) {
        char digits[24];
        int len = snprintf(digits, sizeof digits, "%zd", index);
        return ascii_join(ptr, digits, len);
    }
    return PyUnicode_FromFormat("%U/%zd", ptr, index);
}

/* The pointer of a mapping's entry: ptr + "/" + str(key), with ~ and / escaped. */
static PyObject *
key_pointer(PyObject *ptr, PyObject *key)
{
    PyObject *text = PyObject_Str(key);
    if (text == NULL)
        return NULL;
    if (PyUnicode_FindChar(text, '~', 0, PY_SSIZE_T_MAX, 1) >= 0 ||
        PyUnicode_FindChar(text, '/', 0, PY_SSIZE_T_MAX, 1) >= 0) {
        PyObject *tilde = PyUnicode_FromString("~"), *tilde0 = PyUnicode_FromString("~0");
        PyObject *slash = PyUnicode_FromString("/"), *slash1 = PyUnicode_FromString("~1");
        PyObject *step = NULL, *escaped = NULL;
        if (tilde && tilde0 && slash && slash1) {
            step = PyUnicode_Replace(text, tilde, tilde0, -1);
            if (step)
                escaped = PyUnicode_Replace(step, slash, slash1, -1);
        }
        Py_XDECREF(tilde);
        Py_XDECREF(tilde0);
        Py_XDECREF(slash);
        Py_XDECREF(slash1);
        Py_XDECREF(step);
        Py_DECREF(text);
        if (escaped == NULL)
            return NULL;
        text = escaped;
    }
    PyObject *out;
    if (PyUnicode_IS_ASCII(ptr) && PyUnicode_IS_ASCII(text))
        out = ascii_join(ptr, (const char *)PyUnicode_1BYTE_DATA(text), PyUnicode_GET_LENGTH(text));
    else
        out = PyUnicode_FromFormat("%U/%U", ptr, text);
    Py_DECREF(text);
    return out;
}

/* The pointer the file's earlier documents made with this text, if one did (the
 * documents of a kind share most pointers): less memory, and no page of it to
 * fault in. Steals text. */
static PyObject *
shared(Reader *r, PyObject *text)
{
    if (text == NULL || r->pointers == NULL)
        return text;
    PyObject *got = PyDict_GetItemWithError(r->pointers, text);
    if (got != NULL) {
        Py_INCREF(got);
        Py_DECREF(text);
        return got;
    }
    if (PyErr_Occurred() || PyDict_SetItem(r->pointers, text, text) < 0) {
        Py_DECREF(text);
        return NULL;
    }
    return text;
}

/* Skips blanks from at; -1 at the end of the line (an unclosed collection). */
static Py_ssize_t
skip(const char *s, Py_ssize_t len, Py_ssize_t at)
{
    while (at < len && s[at] == ' ')
        at++;
    return at < len ? at : -1;
}

/* The pointer of an entry (key) or item (key NULL: the index) of the
 * collection at ptr, when lines are kept; else ptr itself (not used). */
static PyObject *
child_pointer(Reader *r, PyObject *ptr, PyObject *key, Py_ssize_t index)
{
    if (r->lines == NULL) {
        Py_INCREF(ptr);
        return ptr;
    }
    return shared(r, key != NULL ? key_pointer(ptr, key) : index_pointer(ptr, index));
}

/* After an item of a flow collection that ends with close: 1 when it ends
 * there (*at after it), 0 after a comma and more items (*at at the next), -1
 * refused. */
static int
after_flow_item(const char *s, Py_ssize_t len, Py_ssize_t *at, char close)
{
    Py_ssize_t k = skip(s, len, *at);
    if (k < 0)
        return refuse_int("unclosed");
    if (s[k] == close) {
        *at = k + 1;
        return 1;
    }
    if (s[k] != ',')
        return refuse_int(close == ']' ? "flow sequence" : "flow mapping");
    k = skip(s, len, k + 1);
    if (k < 0)
        return refuse_int("unclosed");
    if (s[k] == close)
        return refuse_int("trailing comma");
    *at = k;
    return 0;
}

static PyObject *node(Reader *r, Py_ssize_t *i, Py_ssize_t indent, PyObject *ptr);
static PyObject *seq(Reader *r, Py_ssize_t *i, Py_ssize_t indent, PyObject *ptr);
static PyObject *flow_node(
    Reader *r, const char *s, Py_ssize_t len, Py_ssize_t *at, PyObject *ptr, long number);

/* The block value of an entry with nothing after its ':' or '-' (at row *i - 1). */
static PyObject *
nested(Reader *r, Py_ssize_t *i, Py_ssize_t indent, PyObject *ptr, int compact_seq)
{
    if (*i < r->n) {
        Row *next = &r->rows[*i];
        if (next->indent > indent)
            return node(r, i, next->indent, ptr);
        if (compact_seq && next->indent == indent && seq_item(next->s, next->len))
            return seq(r, i, indent, ptr);
    }
    if (r->lines != NULL && set_line(r, ptr, r->rows[*i - 1].number) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* A plain scalar written after a key or '-': cut at a comment; refuses a ': ' in it. */
static PyObject *
plain_value(Reader *r, const char *s, Py_ssize_t len)
{
    Py_ssize_t cut = find2(s, len, ' ', '#');
    if (cut >= 0) {
        len = cut;
        while (len > 0 && s[len - 1] == ' ')
            len--;
    }
    if (find2(s, len, ':', ' ') >= 0 || s[len - 1] == ':')
        return refuse("mapping value in a plain scalar");
    return plain(r, s, len);
}

/* A value written on the line (number) of its key or its '-'. */
static PyObject *
inline_value(Reader *r, const char *s, Py_ssize_t len, PyObject *ptr, long number)
{
    char c0 = s[0];
    if (is_quote(c0) || is_bracket(c0)) {
        Py_ssize_t end = 0;
        PyObject *value = flow_node(r, s, len, &end, ptr, number);
        if (value == NULL)
            return NULL;
        if (!tail_is_blank(s, len, end)) {
            Py_DECREF(value);
            return refuse("text after a quoted scalar or flow collection");
        }
        return value;
    }
    if (is_indicator(c0) && (c0 != '-' || len == 1 || s[1] == ' '))
        return refuse("indicator");
    if (r->lines != NULL && set_line(r, ptr, number) < 0)
        return NULL;
    return plain_value(r, s, len);
}

static PyObject *
mapping(Reader *r, Py_ssize_t *pi, Py_ssize_t indent, PyObject *ptr)
{
    Py_ssize_t i = *pi;
    if (r->lines != NULL && set_line(r, ptr, r->rows[i].number) < 0)
        return NULL;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    while (i < r->n) {
        Row *row = &r->rows[i];
        const char *s = row->s;
        Py_ssize_t len = row->len;
        if (row->indent != indent) {
            if (row->indent < indent)
                break;
            goto refused_indent;
        }
        PyObject *key;
        const char *rest;
        Py_ssize_t rest_len;
        char c0 = s[0];
        if (is_quote(c0)) {
            Py_ssize_t end = 0;
            key = quoted(r, s, len, 0, &end);
            if (key == NULL)
                goto error;
            if (end >= len || s[end] != ':' || chars(r, s, end) > MAX_KEY ||
                (end + 1 < len && s[end + 1] != ' ')) {
                Py_DECREF(key);
                refuse("quoted key");
                goto error;
            }
            rest = s + end + 1;
            rest_len = len - end - 1;
        }
        else if (is_indicator(c0)) {
            refuse("indicator");
            goto error;
        }
        else {
            Py_ssize_t colon = find2(s, len, ':', ' ');
            if (colon < 0) {
                if (s[len - 1] != ':') {
                    refuse("not a mapping entry");
                    goto error;
                }
                colon = len - 1;
            }
            Py_ssize_t key_len = colon;
            while (key_len > 0 && s[key_len - 1] == ' ')
                key_len--;
            if ((key_len == 2 && s[0] == '<' && s[1] == '<') || find2(s, key_len, ' ', '#') >= 0 ||
                chars(r, s, colon) > MAX_KEY) {
                refuse("merge key, comment or long key");
                goto error;
            }
            key = plain(r, s, key_len);
            if (key == NULL)
                goto error;
            rest = s + colon + 2;
            rest_len = len - colon - 2;
            if (rest_len < 0)
                rest_len = 0;
        }
        while (rest_len > 0 && rest[0] == ' ') {
            rest++;
            rest_len--;
        }
        int present = PyDict_Contains(out, key);
        if (present != 0) {
            Py_DECREF(key);
            if (present > 0)
                refuse("duplicate key");
            goto error;
        }
        PyObject *child = child_pointer(r, ptr, key, 0);
        if (child == NULL) {
            Py_DECREF(key);
            goto error;
        }
        PyObject *value;
        if (rest_len == 0 || rest[0] == '#') {
            i++;
            value = nested(r, &i, indent, child, 1);
        }
        else if (is_indicator(rest[0]) || is_quote(rest[0]) || is_bracket(rest[0])) {
            value = inline_value(r, rest, rest_len, child, row->number);
            i++;
        }
        else {
            value = plain_value(r, rest, rest_len);
            if (value != NULL && r->lines != NULL && set_line(r, child, row->number) < 0)
                Py_CLEAR(value);
            i++;
        }
        Py_DECREF(child);
        if (value == NULL) {
            Py_DECREF(key);
            goto error;
        }
        int rc = PyDict_SetItem(out, key, value);
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc < 0)
            goto error;
    }
    *pi = i;
    return out;
refused_indent:
    refuse("indentation");
error:
    Py_DECREF(out);
    return NULL;
}

/* Whether the content after a '-' starts a mapping (-1: refused). */
static int
is_key_line(Reader *r, const char *s, Py_ssize_t len)
{
    char c0 = s[0];
    if (is_quote(c0)) {
        Py_ssize_t end = 0;
        PyObject *value = quoted(r, s, len, 0, &end);
        if (value == NULL)
            return -1;
        Py_DECREF(value);
        return end < len && s[end] == ':';
    }
    if (is_bracket(c0))
        return 0;
    return find2(s, len, ':', ' ') >= 0 || s[len - 1] == ':';
}

static PyObject *
seq(Reader *r, Py_ssize_t *pi, Py_ssize_t indent, PyObject *ptr)
{
    Py_ssize_t i = *pi;
    if (r->lines != NULL && set_line(r, ptr, r->rows[i].number) < 0)
        return NULL;
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    while (i < r->n) {
        Row *row = &r->rows[i];
        if (row->indent != indent) {
            if (row->indent < indent)
                break;
            refuse("indentation");
            goto error;
        }
        if (!seq_item(row->s, row->len))
            break;
        const char *rest = row->s + 1;
        Py_ssize_t rest_len = row->len - 1;
        while (rest_len > 0 && rest[0] == ' ') {
            rest++;
            rest_len--;
        }
        PyObject *child = child_pointer(r, ptr, NULL, PyList_GET_SIZE(out));
        if (child == NULL)
            goto error;
        PyObject *value;
        int key_line = 0;
        if (rest_len == 0 || rest[0] == '#') {
            i++;
            value = nested(r, &i, indent, child, 0);
        }
        else if (seq_item(rest, rest_len) || (key_line = is_key_line(r, rest, rest_len)) != 0) {
            if (key_line < 0) {
                Py_DECREF(child);
                goto error;
            }
            Py_ssize_t column = indent + (rest - row->s);
            row->indent = column;
            row->s = rest;
            row->len = rest_len;
            value = node(r, &i, column, child);
        }
        else {
            value = inline_value(r, rest, rest_len, child, row->number);
            i++;
        }
        Py_DECREF(child);
        if (value == NULL)
            goto error;
        int rc = PyList_Append(out, value);
        Py_DECREF(value);
        if (rc < 0)
            goto error;
    }
    *pi = i;
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

static PyObject *
node(Reader *r, Py_ssize_t *i, Py_ssize_t indent, PyObject *ptr)
{
    if (++r->depth > MAX_DEPTH) {
        r->depth--;
        return refuse("nested too deeply");
    }
    Row *row = &r->rows[*i];
    PyObject *value = seq_item(row->s, row->len) ? seq(r, i, indent, ptr) : mapping(r, i, indent, ptr);
    r->depth--;
    return value;
}

/* A plain scalar in a flow collection, from at: where it ends (its text
 * without trailing blanks ends at *text_end), or -1 when none starts there. */
static Py_ssize_t
flow_plain(const char *s, Py_ssize_t len, Py_ssize_t at, Py_ssize_t *text_end)
{
    if (at >= len)
        return -1;
    char c = s[at];
    if (c == '-') {
        if (at + 1 >= len || is_flow_stop(s[at + 1]) || s[at + 1] == ',' || space_at(s, len, at + 1))
            return -1;
    }
    else if (is_indicator(c) || space_at(s, len, at)) {
        return -1;
    }
    Py_ssize_t end = at + 1; /* after a '-', the character checked above is taken below */
    while (end < len && !is_flow_stop(s[end]))
        end++;
    Py_ssize_t t = end;
    while (t > at && s[t - 1] == ' ')
        t--;
    *text_end = t;
    return end;
}

static PyObject *
flow(Reader *r, const char *s, Py_ssize_t len, Py_ssize_t *pat, PyObject *ptr, long number)
{
    Py_ssize_t at = *pat;
    if (r->lines != NULL && set_line(r, ptr, number) < 0)
        return NULL;
    if (s[at] == '[') {
        PyObject *items = PyList_New(0);
        if (items == NULL)
            return NULL;
        at = skip(s, len, at + 1);
        if (at < 0)
            goto unclosed_list;
        if (s[at] == ']') {
            *pat = at + 1;
            return items;
        }
        for (;;) {
            PyObject *child = child_pointer(r, ptr, NULL, PyList_GET_SIZE(items));
            if (child == NULL)
                goto list_error;
            PyObject *value = flow_node(r, s, len, &at, child, number);
            Py_DECREF(child);
            if (value == NULL)
                goto list_error;
            int rc = PyList_Append(items, value);
            Py_DECREF(value);
            if (rc < 0)
                goto list_error;
            int ended = after_flow_item(s, len, &at, ']');
            if (ended < 0)
                goto list_error;
            if (ended) {
                *pat = at;
                return items;
            }
        }
    unclosed_list:
        refuse("unclosed");
    list_error:
        Py_DECREF(items);
        return NULL;
    }
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    at = skip(s, len, at + 1);
    if (at < 0)
        goto unclosed_map;
    if (s[at] == '}') {
        *pat = at + 1;
        return out;
    }
    for (;;) {
        Py_ssize_t start = at;
        PyObject *key;
        if (is_quote(s[at])) {
            key = quoted(r, s, len, at, &at);
            if (key == NULL)
                goto map_error;
        }
        else {
            Py_ssize_t text_end = 0;
            Py_ssize_t end = flow_plain(s, len, at, &text_end);
            if (end < 0 || (end - at >= 2 && s[at] == '<' && s[at + 1] == '<')) {
                refuse("flow key");
                goto map_error;
            }
            key = plain(r, s + at, text_end - at);
            if (key == NULL)
                goto map_error;
            at = end;
        }
        if (at + 1 >= len) {
            Py_DECREF(key);
            goto unclosed_map;
        }
        if (s[at] != ':' || s[at + 1] != ' ' || chars(r, s + start, at - start) > MAX_KEY) {
            Py_DECREF(key);
            refuse("flow mapping entry");
            goto map_error;
        }
        int present = PyDict_Contains(out, key);
        if (present != 0) {
            Py_DECREF(key);
            if (present > 0)
                refuse("duplicate key");
            goto map_error;
        }
        PyObject *child = child_pointer(r, ptr, key, 0);
        if (child == NULL) {
            Py_DECREF(key);
            goto map_error;
        }
        at = skip(s, len, at + 1);
        if (at < 0) {
            Py_DECREF(key);
            Py_DECREF(child);
            goto unclosed_map;
        }
        PyObject *value = flow_node(r, s, len, &at, child, number);
        Py_DECREF(child);
        if (value == NULL) {
            Py_DECREF(key);
            goto map_error;
        }
        int rc = PyDict_SetItem(out, key, value);
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc < 0)
            goto map_error;
        int ended = after_flow_item(s, len, &at, '}');
        if (ended < 0)
            goto map_error;
        if (ended) {
            *pat = at;
            return out;
        }
    }
unclosed_map:
    refuse("unclosed");
map_error:
    Py_DECREF(out);
    return NULL;
}

/* A value inside a flow collection (or one written inline), starting at *at. */
static PyObject *
flow_node(Reader *r, const char *s, Py_ssize_t len, Py_ssize_t *at, PyObject *ptr, long number)
{
    if (*at >= len)
        return refuse("unclosed");
    char c = s[*at];
    if (is_bracket(c)) {
        if (++r->depth > MAX_DEPTH) {
            r->depth--;
            return refuse("nested too deeply");
        }
        PyObject *value = flow(r, s, len, at, ptr, number);
        r->depth--;
        return value;
    }
    if (r->lines != NULL && set_line(r, ptr, number) < 0)
        return NULL;
    if (is_quote(c))
        return quoted(r, s, len, *at, at);
    Py_ssize_t text_end = 0;
    Py_ssize_t end = flow_plain(s, len, *at, &text_end);
    if (end < 0)
        return refuse("flow scalar");
    PyObject *value = plain(r, s + *at, text_end - *at);
    *at = end;
    return value;
}

/* Whether the text holds a character this reader does not take (simpleyaml's
 * _UNUSUAL): anything but a line feed and printable text as YAML defines it,
 * without tabs, byte order marks or the line breaks NEL, LS and PS. */
static int
has_unusual(const char *buf, Py_ssize_t size, int ascii)
{
    const unsigned char *p = (const unsigned char *)buf, *end = p + size;
    if (ascii) {
        for (; p < end; p++)
            if ((*p < 0x20 && *p != '\n') || *p == 0x7f)
                return 1;
        return 0;
    }
    for (Py_ssize_t at = 0; at < size;) {
        unsigned char c = (unsigned char)buf[at];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\n') || c == 0x7f)
                return 1;
            at++;
            continue;
        }
        long cp = code_point(buf, size, at);
        if (!((cp >= 0xa0 && cp <= 0x2027) || (cp >= 0x202a && cp <= 0xd7ff) ||
              (cp >= 0xe000 && cp <= 0xfefe) || (cp >= 0xff00 && cp <= 0xfffd) ||
              (cp >= 0x10000 && cp <= 0x10ffff)))
            return 1;
        at += c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    }
    return 0;
}

static PyObject *
parse_simple(PyObject *module, PyObject *args)
{
    PyObject *text, *cache, *resolve, *lines, *starts, *pointers = Py_None;
    long first_line;
    if (!PyArg_ParseTuple(args, "UO!OOlU|O", &text, &PyDict_Type, &cache, &resolve, &lines,
            &first_line, &starts, &pointers))
        return NULL;
    if (NotSimple == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups.configure was not called");
        return NULL;
    }
    if (pointers == Py_None)
        pointers = NULL;
    else if (!PyDict_Check(pointers)) {
        PyErr_SetString(PyExc_TypeError, "pointers must be a dict or None");
        return NULL;
    }
    if (lines == Py_None)
        lines = NULL;
    else if (!PyDict_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "lines must be a dict or None");
        return NULL;
    }
    Py_ssize_t size;
    const char *buf = PyUnicode_AsUTF8AndSize(text, &size);
    if (buf == NULL) { /* a lone surrogate: not a character the reader takes */
        if (!PyErr_ExceptionMatches(PyExc_UnicodeEncodeError))
            return NULL;
        PyErr_Clear();
        return refuse("a character this reader does not take");
    }
    if (has_unusual(buf, size, PyUnicode_IS_ASCII(text)))
        return refuse("a character this reader does not take");
    Py_ssize_t capacity = 64, n = 0;
    Row *rows = PyMem_Malloc(sizeof(Row) * (size_t)capacity);
    if (rows == NULL)
        return PyErr_NoMemory();
    long number = first_line;
    const char *p = buf, *stop = buf + size;
    while (p <= stop) {
        const char *eol = memchr(p, '\n', (size_t)(stop - p));
        if (eol == NULL)
            eol = stop;
        number++;
        const char *c = p;
        while (c < eol && *c == ' ')
            c++;
        if (c < eol && *c != '#') {
            const char *e = eol;
            while (e > c && e[-1] == ' ')
                e--;
            if (n == capacity) {
                capacity *= 2;
                Row *grown = PyMem_Realloc(rows, sizeof(Row) * (size_t)capacity);
                if (grown == NULL) {
                    PyMem_Free(rows);
                    return PyErr_NoMemory();
                }
                rows = grown;
            }
            rows[n].indent = c - p;
            rows[n].s = c;
            rows[n].len = e - c;
            rows[n].number = number;
            n++;
        }
        p = eol + 1;
    }
    Reader r = {rows, n, cache, resolve, lines, pointers, PyUnicode_IS_ASCII(text), 0, {0}};
    Py_ssize_t count = PyUnicode_GET_LENGTH(starts);
    for (Py_ssize_t k = 0; k < count; k++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(starts, k);
        if (c < 128)
            r.resolved[c] = 1;
        else {
            PyMem_Free(rows);
            PyErr_SetString(PyExc_ValueError, "starts must be ASCII");
            return NULL;
        }
    }
    PyObject *result = NULL;
    if (n > 0 && rows[0].len >= 3 && memcmp(rows[0].s, "---", 3) == 0) {
        if (rows[0].indent != 0 || (rows[0].len > 3 && !tail_is_blank(rows[0].s, rows[0].len, 3))) {
            refuse("content on the document marker line");
            goto done;
        }
        r.rows++;
        r.n--;
    }
    if (r.n == 0) {
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    PyObject *root = PyUnicode_FromStringAndSize("", 0);
    if (root == NULL)
        goto done;
    Py_ssize_t end = 0;
    PyObject *value = node(&r, &end, r.rows[0].indent, root);
    Py_DECREF(root);
    if (value == NULL)
        goto done;
    if (end != r.n) {
        Py_DECREF(value);
        refuse("content after the root node");
        goto done;
    }
    result = Py_BuildValue("(Nl)", value, r.rows[0].number - first_line - 1);
done:
    PyMem_Free(rows);
    return result;
}

/* Whether node holds, at any depth up to max_depth, a mapping with one of keys
 * (str) whose value is a list, or a mapping or list deeper than max_depth. */
static int
list_under_keys_walk(PyObject *node, PyObject *keys, long depth, long max_depth)
{
    if (depth > max_depth)
        return 1;
    if (PyList_Check(node)) {
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(node); k++) {
            PyObject *item = PyList_GET_ITEM(node, k);
            if (PyDict_Check(item) || PyList_Check(item)) {
                int found = list_under_keys_walk(item, keys, depth + 1, max_depth);
                if (found != 0)
                    return found;
            }
        }
        return 0;
    }
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(node, &pos, &key, &value)) {
        int list = PyList_Check(value);
        if (!list && !PyDict_Check(value))
            continue;
        if (list && PyUnicode_Check(key)) {
            int named = PySet_Contains(keys, key);
            if (named != 0)
                return named;
        }
        int found = list_under_keys_walk(value, keys, depth + 1, max_depth);
        if (found != 0)
            return found;
    }
    return 0;
}

static PyObject *
list_under_keys(PyObject *module, PyObject *args)
{
    PyObject *node, *keys;
    long max_depth;
    if (!PyArg_ParseTuple(args, "OO!l", &node, &PyFrozenSet_Type, &keys, &max_depth))
        return NULL;
    if (!PyDict_Check(node) && !PyList_Check(node))
        Py_RETURN_FALSE;
    int found = list_under_keys_walk(node, keys, 0, max_depth);
    if (found < 0)
        return NULL;
    return PyBool_FromLong(found);
}

/* kubernetes.fields.str_map's conversion of a dict: each key and value that is
 * not exactly a str made one (str()), a null value "". */
static PyObject *
str_map(PyObject *module, PyObject *mapping)
{
    if (!PyDict_Check(mapping)) {
        PyErr_SetString(PyExc_TypeError, "str_map takes a dict");
        return NULL;
    }
    PyObject *out = _PyDict_NewPresized(PyDict_GET_SIZE(mapping));
    if (out == NULL)
        return NULL;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(mapping, &pos, &key, &value)) {
        PyObject *k, *v;
        if (PyUnicode_CheckExact(key)) {
            k = key;
            Py_INCREF(k);
        }
        else if ((k = PyObject_Str(key)) == NULL)
            goto error;
        if (PyUnicode_CheckExact(value)) {
            v = value;
            Py_INCREF(v);
        }
        else if (value == Py_None)
            v = PyUnicode_FromStringAndSize("", 0);
        else
            v = PyObject_Str(value);
        if (v == NULL) {
            Py_DECREF(k);
            goto error;
        }
        int rc = PyDict_SetItem(out, k, v);
        Py_DECREF(k);
        Py_DECREF(v);
        if (rc < 0)
            goto error;
    }
    return out;
error:
    Py_DECREF(out);
    return NULL;
}

static PyObject *
configure(PyObject *module, PyObject *exc)
{
    if (!PyType_Check(exc) || !PyType_IsSubtype((PyTypeObject *)exc, (PyTypeObject *)PyExc_Exception)) {
        PyErr_SetString(PyExc_TypeError, "configure takes an exception class");
        return NULL;
    }
    Py_INCREF(exc);
    Py_XSETREF(NotSimple, exc);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"parse_simple", parse_simple, METH_VARARGS,
     "parse_simple(text, cache, resolve, lines, first_line, starts[, pointers]): simpleyaml's "
     "reader, compiled."},
    {"configure", configure, METH_O, "configure(NotSimple): the exception for what is refused."},
    {"str_map", str_map, METH_O, "str_map(d): each key and value made a str, null as \"\"."},
    {"list_under_keys", list_under_keys, METH_VARARGS,
     "list_under_keys(node, keys, max_depth): a list under one of keys, or nesting past max_depth."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled forms of the loaders' hot paths.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
