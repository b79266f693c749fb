"""What a wasm module's code is made of: function body bytes grouped by the crate in each
function's name (the `name` section wasm-bindgen keeps). `python3 scripts/wasm_size.py FILE.wasm`.
Generics are counted under the crate of the outermost path in the name, so this is a guide,
not an exact split."""
import sys, re, collections
b=open(sys.argv[1],'rb').read()
def leb(i):
    r=0;s=0
    while True:
        x=b[i]; i+=1; r|=(x&0x7f)<<s; s+=7
        if x<0x80: return r,i
i=8; nimports=0; bodies=[]; names={}; datasize=0
while i<len(b):
    sid=b[i]; i+=1; size,i=leb(i); end=i+size
    if sid==2:
        n,j=leb(i)
        for _ in range(n):
            l,j=leb(j); j+=l; l,j=leb(j); j+=l; kind=b[j]; j+=1
            if kind==0: _,j=leb(j); nimports+=1
            elif kind==1: j+=1; fl,j=leb(j); _,j=leb(j); 
            elif kind==2: fl,j=leb(j); _,j=leb(j); 
            elif kind==3: j+=2
    elif sid==10:
        n,j=leb(i)
        for _ in range(n):
            sz,j2=leb(j); bodies.append(sz+(j2-j)); j=j2+sz
    elif sid==11: datasize=size
    elif sid==0:
        l,j=leb(i); nm=b[j:j+l].decode(); j+=l
        if nm=='name':
            while j<end:
                sub=b[j]; j+=1; ssz,j=leb(j); se=j+ssz
                if sub==1:
                    n,k=leb(j)
                    for _ in range(n):
                        idx,k=leb(k); l,k=leb(k); names[idx]=b[k:k+l].decode('utf8','replace'); k+=l
                j=se
    i=end
groups=collections.Counter()
for fi,sz in enumerate(bodies):
    nm=names.get(fi+nimports,'?')
    m=re.findall(r'(?:^|[<\s&(,])(?:_<)?([a-z_][a-z0-9_]*)::',nm)
    crate=m[0] if m else nm[:30]
    groups[crate]+=sz
tot=sum(bodies)
print('code',tot,'data',datasize,'functions',len(bodies),'named',len(names))
for c,s in groups.most_common(int(sys.argv[2]) if len(sys.argv) > 2 else 15): print(f'{c:30s} {s/1e6:6.2f} MB {100*s/tot:5.1f}%')
