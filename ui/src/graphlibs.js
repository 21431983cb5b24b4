// The graph and chart libraries, loaded only by the pages that draw (a
// separate chunk: the first page, the Sessions list, does not wait for them).
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import uPlot from 'uplot';

cytoscape.use(dagre);
export { cytoscape, uPlot };
