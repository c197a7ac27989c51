import json,sys,glob
def parse(f):
    rows=[]
    for l in open(f):
        d=dict(kv.split('=',1) for kv in l.split()[1:])
        mv=d['mv'].split('/')
        rows.append({'t':float(d['t']),'mvs':float(mv[0]),'mv':float(mv[1]),'tiles':int(mv[2]),'max':float(mv[3]),'open':d['open']=='true','hit':d['hit']=='true','weak':d['weak']=='true','key':d['key']=='true','r16':float(d['r16']),'r8':float(d['r8']),'judged':d['judged']=='true'})
    return rows
