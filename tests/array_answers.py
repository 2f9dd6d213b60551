"""NumPy's answers for tests/array_test.cc: the same arrays and operations, one line each.

Output: `name TAB dtype TAB shape TAB v1 v2 ...` with floats as repr (round-trip exact), bools as 1/0.
The arrays here are built the way array_test.cc builds them (arange, linspace, from_array
of the same numbers), so the two must agree.
"""
import numpy as np

x = np.arange(-6, 6)                               # int64, chunks 5
y = np.linspace(-2.5, 3, 12)                       # float64, chunks 4
b = x % 3 == 0                                     # bool
m = np.arange(24, dtype=np.float64).reshape(4, 6) / 3 - 2   # from_array, chunks (3, 4)
k = (np.arange(24).reshape(4, 6) % 7) - 3          # int64 2-d, from_array, chunks (2, 5)
r = np.arange(6) * 2 - 5                           # int64 1-d, chunks 4

cases = {}
with np.errstate(all="ignore"):
    cases.update({
        "x+y": x + y, "x-3": x - 3, "2-x": 2 - x, "x*y": x * y, "x/y": x / y,
        "x/0": x / 0, "x//3": x // 3, "x//-4": x // -4, "x//0": x // 0, "x%4": x % 4,
        "x%-4": x % -4, "x%0": x % 0, "y%1.5": y % 1.5, "y%-0.7": y % -0.7,
        "y//0.7": y // 0.7, "x**2": x ** 2, "x**3": x ** 3, "y**2": y ** 2,
        "y**3": y ** 3, "2**x+0.0": 2.0 ** x, "1.5*x": 1.5 * x, "x+True": x + True,
        "abs(x)": np.abs(x), "abs(y)": np.abs(y), "-y": -y, "-x": -x,
        "sqrt(abs(y))": np.sqrt(np.abs(y)), "exp(y)": np.exp(y),
        "log(abs(y)+1)": np.log(np.abs(y) + 1), "sin(y)": np.sin(y), "cos(y)": np.cos(y),
        "sqrt(x)": np.sqrt(x), "log(y)": np.log(y),
        "x<y": x < y, "x<=0": x <= 0, "x>y": x > y, "x>=1": x >= 1, "x==y": x == y,
        "x!=0": x != 0, "(x>0)&(x<4)": (x > 0) & (x < 4), "(x>0)|(y<0)": (x > 0) | (y < 0),
        "b^(x>0)": b ^ (x > 0), "~b": ~b, "~x": ~x, "x&3": x & 3, "x|8": x | 8, "x^5": x ^ 5,
        "b+b": b + b, "b*(x>0)": b * (x > 0), "b+1": b + 1, "b/2": b / 2,
        "where(x>0,x,y)": np.where(x > 0, x, y), "where(b,1,0)": np.where(b, 1, 0),
        "maximum(x,y)": np.maximum(x, y), "minimum(x,2)": np.minimum(x, 2),
        "m+r": m + r, "m*k": m * k, "k//r": k // r, "k%r": k % r, "m-y[:6]": m - y[:6],
        "k<r": k < r, "m.astype(int)": m.astype(np.int64), "x.astype(bool)": x.astype(bool),
    })

for name, a in [("x", x), ("y", y), ("b", b), ("m", m), ("k", k)]:
    axes = [None] if a.ndim == 1 else [None, 0, 1]
    for axis in axes:
        sfx = "" if axis is None else str(axis)
        cases[f"{name}.sum({sfx})"] = np.sum(a, axis=axis)
        cases[f"{name}.mean({sfx})"] = np.mean(a, axis=axis)
        cases[f"{name}.min({sfx})"] = np.min(a, axis=axis)
        cases[f"{name}.max({sfx})"] = np.max(a, axis=axis)
        cases[f"{name}.var({sfx})"] = np.var(a, axis=axis)
        cases[f"{name}.std({sfx})"] = np.std(a, axis=axis, ddof=1)
        cases[f"{name}.argmin({sfx})"] = np.argmin(a, axis=axis)
        cases[f"{name}.argmax({sfx})"] = np.argmax(a, axis=axis)
        cases[f"{name}.any({sfx})"] = np.any(a > 1, axis=axis)
        cases[f"{name}.all({sfx})"] = np.all(a < 5, axis=axis)
        cases[f"{name}.count_nonzero({sfx})"] = np.count_nonzero(a, axis=axis)

cases.update({
    "x[::2]": x[::2], "x[-3:]": x[-3:], "x[::-1]": x[::-1], "x[2]": x[2], "x[1:-1:3]": x[1:-1:3],
    "m[1:3,::2]": m[1:3, ::2], "m[:,1]": m[:, 1], "m[2]": m[2], "m[::-1,::-2]": m[::-1, ::-2],
    "m[1,2]": m[1, 2], "m[-1,-5:]": m[-1, -5:],
    "m.rechunk(2,5)": m, "x.rechunk(3)+y": x + y, "m.T": m.T, "(m.T+1).sum(0)": (m.T + 1).sum(0),
    "concat(x,x*2)": np.concatenate([x, x * 2]), "concat(m,m,1)": np.concatenate([m, m], 1),
    "concat(m,k,0)": np.concatenate([m, k], 0),
    "m@m.T": m @ m.T, "k@k.T": k @ k.T, "m.T@k": m.T @ k,
    "ones(3,4)": np.ones((3, 4)), "zeros(5,int)": np.zeros(5, dtype=np.int64),
    "full(2,3,7)": np.full((2, 3), 7), "linspace(0,1,7)": np.linspace(0, 1, 7),
    "linspace(0,1,7,False)": np.linspace(0, 1, 7, endpoint=False),
    "arange(0.5,3.2,0.3)": np.arange(0.5, 3.2, 0.3), "arange(15)+100 sum": (np.arange(15) + 100).sum(),
    "ones(3,4)*r[:4]": np.ones((3, 4)) * r[:4], "from_array(k).T.sum(1)": k.T.sum(1),
})


def fmt(v):
    if isinstance(v, (bool, np.bool_)):
        return "1" if v else "0"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


for name, a in cases.items():
    a = np.asarray(a)
    shape = ",".join(str(d) for d in a.shape)
    print("\t".join([name, str(a.dtype), shape, " ".join(fmt(v) for v in a.ravel())]))
